// The image operations of the ADA augmentation pipeline (the official training/augment.py), each
// with its adjoint, so that gradients of any order are these kernels again:
// - pad_reflect_f32: torch's 'reflect' padding (the edge sample is not repeated);
// - affine_grid_sample_f32: F.affine_grid + F.grid_sample (bilinear, zeros outside,
//   align_corners=False) with one 2×3 matrix per sample;
// - color_matrix_f32: a per-sample affine colour transform, out = M[:, :C] · x + M[:, C];
// - sample_fir_f32: a valid correlation along x or y with one filter per sample (the official
//   image-space filter's grouped conv2d).
// Images are [N, C, H, W]; one work-item per output element, so no kernel needs atomics.

// ---- reflect padding ----

// The input index that padded index o (of a padded axis with `pad0` samples before) reads.
int reflect_index(int o, int pad0, int size)
{
    // Written without a negation of o - pad0, which LLVM turns into llvm.abs (Oclgrind lacks it).
    if (o < pad0) return pad0 - o;
    const int j = o - pad0;
    return j < size ? j : 2 * (size - 1) - j;
}

__kernel void pad_reflect_f32(__global float* out, __global const float* x, int planes, int H, int W,
                              int padY0, int padX0, int OH, int OW)
{
    const int i = get_global_id(0);
    if (i >= planes * OH * OW) return;
    const int ox = i % OW, oy = (i / OW) % OH, p = i / (OW * OH);
    out[i] = x[(p * H + reflect_index(oy, padY0, H)) * W + reflect_index(ox, padX0, W)];
}

// The padded indices that read input index i along one axis: itself (shifted), its mirror before
// the start and its mirror after the end; -1 where there is none.
int3 reflect_sources(int i, int pad0, int size, int outSize)
{
    const int before = pad0 - i, after = pad0 + 2 * (size - 1) - i;
    return (int3)(i >= 1 && before >= 0 ? before : -1, i + pad0,
                  i <= size - 2 && after < outSize ? after : -1);
}

__kernel void pad_reflect_adjoint_f32(__global float* dx, __global const float* dy, int planes, int H, int W,
                                      int padY0, int padX0, int OH, int OW)
{
    const int i = get_global_id(0);
    if (i >= planes * H * W) return;
    const int ix = i % W, iy = (i / W) % H, p = i / (W * H);
    const int3 ys = reflect_sources(iy, padY0, H, OH), xs = reflect_sources(ix, padX0, W, OW);
    const int yy[3] = {ys.x, ys.y, ys.z}, xx[3] = {xs.x, xs.y, xs.z};
    const __global float* plane = dy + p * OH * OW;
    float sum = 0.0f;
    for (int a = 0; a < 3; a++) {
        if (yy[a] < 0) continue;
        for (int b = 0; b < 3; b++)
            if (xx[b] >= 0) sum += plane[yy[a] * OW + xx[b]];
    }
    dx[i] = sum;
}

// ---- affine grid sampling ----

// Where output pixel (ox, oy) samples the input, in input pixel units: torch's affine_grid base
// ((2o+1)/size − 1), the matrix t (row-major 2×3), then grid_sample's unnormalisation
// ((g + 1)·size − 1)/2.
float2 sample_position(__global const float* t, int ox, int oy, int H, int W, int OH, int OW)
{
    const float bx = (2 * ox + 1) / (float)OW - 1.0f, by = (2 * oy + 1) / (float)OH - 1.0f;
    const float gx = t[0] * bx + t[1] * by + t[2], gy = t[3] * bx + t[4] * by + t[5];
    return (float2)(((gx + 1.0f) * W - 1.0f) * 0.5f, ((gy + 1.0f) * H - 1.0f) * 0.5f);
}

__kernel void affine_grid_sample_f32(__global float* out, __global const float* x, __global const float* theta,
                                     int N, int C, int H, int W, int OH, int OW)
{
    const int i = get_global_id(0);
    if (i >= N * C * OH * OW) return;
    const int ox = i % OW, oy = (i / OW) % OH, p = i / (OW * OH), n = p / C;
    const float2 s = sample_position(theta + n * 6, ox, oy, H, W, OH, OW);
    const int x0 = (int)floor(s.x), y0 = (int)floor(s.y);
    const float wx[2] = {(x0 + 1) - s.x, s.x - x0}, wy[2] = {(y0 + 1) - s.y, s.y - y0};
    const __global float* plane = x + p * H * W;
    float sum = 0.0f;
    for (int a = 0; a < 2; a++) {
        const int y = y0 + a;
        if (y < 0 || y >= H) continue;
        for (int b = 0; b < 2; b++) {
            const int xx = x0 + b;
            if (xx >= 0 && xx < W) sum += wx[b] * wy[a] * plane[y * W + xx];
        }
    }
    out[i] = sum;
}

// The range of o (clamped to [0, size)) where lo < k·o + q < hi, widened by one for rounding
// (each candidate is tested exactly afterwards): all of it when k is 0 and q fits, else empty.
int2 linear_range(float k, float q, float lo, float hi, int size)
{
    if (fabs(k) < 1e-12f) return q > lo - 1.0f && q < hi + 1.0f ? (int2)(0, size - 1) : (int2)(0, -1);
    const float a = (lo - q) / k, b = (hi - q) / k;
    return (int2)(max(0, (int)floor(fmin(a, b)) - 1), min(size - 1, (int)ceil(fmax(a, b)) + 1));
}

// The adjoint: each input pixel gathers, for all C channels at once, the outputs whose bilinear
// footprint covers it. Output row by output row, those lie where both sample coordinates are within
// one pixel of it (an interval of columns, from the affine map); each candidate's position is then
// recomputed exactly as the forward kernel does. Global: N * H * W.
__kernel void affine_grid_sample_adjoint_f32(__global float* dx, __global const float* dy, __global const float* theta,
                                             int N, int C, int H, int W, int OH, int OW)
{
    const int i = get_global_id(0);
    if (i >= N * H * W) return;
    const int px = i % W, py = (i / W) % H, n = i / (W * H);
    __global const float* t = theta + n * 6;
    // position = (a·ox + b·oy, d·ox + e·oy) + c in input pixels.
    const float a = t[0] * W / OW, b = t[1] * W / OH, d = t[3] * H / OW, e = t[4] * H / OH;
    const float2 c = sample_position(t, 0, 0, H, W, OH, OW);
    // The output rows of the preimage of the square (px ± 1, py ± 1): the rows of its four corners
    // mapped back (all rows when the map is degenerate).
    const float det = a * e - b * d;
    int2 rows = (int2)(0, OH - 1);
    if (fabs(det) > 1e-6f) {
        float lo = INFINITY, hi = -INFINITY;
        for (int k = 0; k < 4; k++) {
            const float qx = px + ((k & 1) ? 1.0f : -1.0f) - c.x, qy = py + ((k & 2) ? 1.0f : -1.0f) - c.y;
            const float oy = (a * qy - d * qx) / det;
            lo = fmin(lo, oy);
            hi = fmax(hi, oy);
        }
        rows = (int2)(max(0, (int)floor(lo) - 1), min(OH - 1, (int)ceil(hi) + 1));
    }
    float sums[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int c0 = 0; c0 < C; c0 += 4) {
        const int cn = min(4, C - c0);
        for (int k = 0; k < 4; k++) sums[k] = 0.0f;
        for (int oy = rows.x; oy <= rows.y; oy++) {
            const int2 xs = linear_range(a, b * oy + c.x, px - 1, px + 1, OW);
            const int2 ys = linear_range(d, e * oy + c.y, py - 1, py + 1, OW);
            const int ox0 = max(xs.x, ys.x), ox1 = min(xs.y, ys.y);
            for (int ox = ox0; ox <= ox1; ox++) {
                const float2 s = sample_position(t, ox, oy, H, W, OH, OW);
                const int x0 = (int)floor(s.x), y0 = (int)floor(s.y);
                if (px != x0 && px != x0 + 1) continue;
                if (py != y0 && py != y0 + 1) continue;
                const float w = (px == x0 ? (x0 + 1) - s.x : s.x - x0) * (py == y0 ? (y0 + 1) - s.y : s.y - y0);
                const __global float* g = dy + ((size_t)(n * C + c0) * OH + oy) * OW + ox;
                for (int k = 0; k < cn; k++) sums[k] += w * g[(size_t)k * OH * OW];
            }
        }
        for (int k = 0; k < cn; k++) dx[((size_t)(n * C + c0 + k) * H + py) * W + px] = sums[k];
    }
}

// ---- colour matrix ----

// out[n, c, i] = sum_k m[n, c, k] x[n, k, i] + m[n, c, C], m of shape [N, C, C + 1]. The adjoint is
// this kernel with the transposed matrix and no offset.
__kernel void color_matrix_f32(__global float* out, __global const float* x, __global const float* m,
                               int N, int C, int HW)
{
    const int i = get_global_id(0);
    if (i >= N * HW) return;
    const int n = i / HW, j = i % HW;
    const __global float* xs = x + n * C * HW + j;
    const __global float* mn = m + n * C * (C + 1);
    for (int c = 0; c < C; c++) {
        float sum = mn[c * (C + 1) + C];
        for (int k = 0; k < C; k++) sum += mn[c * (C + 1) + k] * xs[k * HW];
        out[(n * C + c) * HW + j] = sum;
    }
}

// ---- per-sample FIR ----

// Valid correlation along x (axis 0) or y (axis 1) with sample n's T taps f[n, :]:
// out[n, c, y, x] = sum_t f[n, t] x[n, c, y, x + t] (axis 0). Output [N, C, OH, OW].
__kernel void sample_fir_f32(__global float* out, __global const float* x, __global const float* f,
                             int N, int C, int H, int W, int T, int OH, int OW, int axis)
{
    const int i = get_global_id(0);
    if (i >= N * C * OH * OW) return;
    const int ox = i % OW, oy = (i / OW) % OH, p = i / (OW * OH), n = p / C;
    const __global float* taps = f + n * T;
    const __global float* src = x + (p * H + oy) * W + ox;
    const int step = axis == 0 ? 1 : W;
    float sum = 0.0f;
    for (int t = 0; t < T; t++) sum += taps[t] * src[t * step];
    out[i] = sum;
}

// The adjoint of sample_fir_f32: dx[n, c, y, x] = sum_t f[n, t] dy[n, c, y, x - t] over the outputs
// that exist (axis 0; axis 1 likewise along y).
__kernel void sample_fir_adjoint_f32(__global float* dx, __global const float* dy, __global const float* f,
                                     int N, int C, int H, int W, int T, int OH, int OW, int axis)
{
    const int i = get_global_id(0);
    if (i >= N * C * H * W) return;
    const int ix = i % W, iy = (i / W) % H, p = i / (W * H), n = p / C;
    const __global float* taps = f + n * T;
    const __global float* plane = dy + p * OH * OW;
    const int pos = axis == 0 ? ix : iy, size = axis == 0 ? OW : OH;
    float sum = 0.0f;
    for (int t = 0; t < T; t++) {
        const int o = pos - t;
        if (o < 0 || o >= size) continue;
        sum += taps[t] * (axis == 0 ? plane[iy * OW + o] : plane[o * OW + ix]);
    }
    dx[i] = sum;
}
