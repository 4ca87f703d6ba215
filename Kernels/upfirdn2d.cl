// upfirdn2d (the official resampling op) and its adjoint, on [planes, H, W] with a 2-D filter.
// Forward: zero-insert (up-1 zeros after each sample), pad (negative pads crop), a true
// convolution with f * gain, then keep every down-th sample from 0:
// out[p][oy][ox] = gain * sum_{ky,kx} f[fh-1-ky][fw-1-kx] * u[oy*downY + ky - padY0][ox*downX + kx - padX0]
// where u[j] = x[j / up] when j is a multiple of up inside [0, H*up), else 0.
// The filter size and factors are compile-time constants (FIR_H, FIR_W, UP_Y, UP_X, DOWN_Y,
// DOWN_X), one build per configuration, so the tap loops unroll and divide by constants.

#ifdef UP_Y
#define fh FIR_H
#define fw FIR_W
#define upY UP_Y
#define upX UP_X
#define downY DOWN_Y
#define downX DOWN_X

__kernel void upfirdn2d_f32(__global float* out, __global const float* x, __global const float* f,
                            int planes, int H, int W, int padY0, int padX0, int OH, int OW, float gain)
{
    const int i = get_global_id(0);
    if (i >= planes * OH * OW) return;
    const int ox = i % OW, oy = (i / OW) % OH, p = i / (OW * OH);
    const __global float* plane = x + p * H * W;
    // Only taps that land on an inserted sample (a multiple of up) contribute: start at the first
    // such tap and step by up, so no tap is tested with a modulo.
    const int by = oy * downY - padY0, bx = ox * downX - padX0;
    const int ky0 = ((-by) % upY + upY) % upY, kx0 = ((-bx) % upX + upX) % upX;
    float sum = 0.0f;
    for (int ky = ky0; ky < fh; ky += upY) {
        const int uy = by + ky;
        if (uy < 0 || uy >= H * upY) continue;
        const __global float* row = plane + (uy / upY) * W;
        const __global float* taps = f + (fh - 1 - ky) * fw + (fw - 1);
        for (int kx = kx0; kx < fw; kx += upX) {
            const int ux = bx + kx;
            if (ux < 0 || ux >= W * upX) continue;
            sum += taps[-kx] * row[ux / upX];
        }
    }
    out[i] = sum * gain;
}

// The adjoint of upfirdn2d_f32 with the same parameters: dx has the input's shape [planes, H, W]
// and gathers, for each input sample, the outputs that read it (taps stepping by down).
__kernel void upfirdn2d_adjoint_f32(__global float* dx, __global const float* dy, __global const float* f,
                                 int planes, int H, int W, int padY0, int padX0, int OH, int OW, float gain)
{
    const int i = get_global_id(0);
    if (i >= planes * H * W) return;
    const int ix = i % W, iy = (i / W) % H, p = i / (W * H);
    const __global float* plane = dy + p * OH * OW;
    const int jy = iy * upY + padY0, jx = ix * upX + padX0;
    const int ky0 = ((jy % downY) + downY) % downY, kx0 = ((jx % downX) + downX) % downX;  // jy < 0 with a crop
    float sum = 0.0f;
    for (int ky = ky0; ky < fh; ky += downY) {
        const int ty = jy - ky;
        if (ty < 0 || ty / downY >= OH) continue;
        const __global float* row = plane + (ty / downY) * OW;
        const __global float* taps = f + (fh - 1 - ky) * fw + (fw - 1);
        for (int kx = kx0; kx < fw; kx += downX) {
            const int tx = jx - kx;
            if (tx < 0 || tx / downX >= OW) continue;
            sum += taps[-kx] * row[tx / downX];
        }
    }
    dx[i] = sum * gain;
}
#undef fh
#undef fw
#undef upY
#undef upX
#undef downY
#undef downX
#endif

// The common case up = down = 1 (the FIR filter around StyleGAN2's strided convolutions), and its
// adjoint, which is the same filter unflipped with the pads mirrored. Compiled per filter size
// (FIR_H, FIR_W) so the taps unroll; FLIP 1 convolves (the forward op), FLIP 0 correlates.
// One work-item writes 16 neighbouring outputs of one row from 16-wide loads:
// out[p][oy][ox] = gain * sum_{ky,kx} f'[ky][kx] * x[p][oy + ky - padY0][ox + kx - padX0], zero outside,
// with f' = f rotated 180 degrees when FLIP, else f. Global [ceil(OW/16), OH, planes].
#ifdef FLIP
__kernel void upfirdn2d_fir_f32(__global float* out, __global const float* x, __global const float* f,
                                int H, int W, int padY0, int padX0, int OH, int OW, float gain)
{
    const int ox0 = get_global_id(0) * 16, oy = get_global_id(1), p = get_global_id(2);
    if (ox0 >= OW || oy >= OH) return;
    const __global float* plane = x + (size_t)p * H * W;
    float16 acc = 0.0f;
    // The 16 + FIR_W - 1 input pixels that the strip reads from one row, zero outside, copied
    // once per row: the taps then read shifted 16-wide windows of it, with one bounds test per
    // row rather than per tap and pixel (at small widths most strips touch an edge).
    const int ix0 = ox0 - padX0;
    const bool inside = ix0 >= 0 && ix0 + 16 + FIR_W - 1 <= W;
    for (int ky = 0; ky < FIR_H; ++ky) {
        const int iy = oy + ky - padY0;
        if (iy < 0 || iy >= H) continue;
        const __global float* row = plane + iy * W;
        float window[16 + FIR_W - 1];
        if (inside) {
            for (int j = 0; j < 16 + FIR_W - 1; ++j) window[j] = row[ix0 + j];
        } else {
            for (int j = 0; j < 16 + FIR_W - 1; ++j) {
                const int ix = ix0 + j;
                window[j] = ix >= 0 && ix < W ? row[ix] : 0.0f;
            }
        }
        for (int kx = 0; kx < FIR_W; ++kx) {
            const float tap = FLIP ? f[(FIR_H - 1 - ky) * FIR_W + (FIR_W - 1 - kx)] : f[ky * FIR_W + kx];
            acc = fma((float16)(tap), vload16(0, window + kx), acc);
        }
    }
    acc *= gain;
    __global float* o = out + ((size_t)p * OH + oy) * OW + ox0;
    if (ox0 + 16 <= OW) {
        vstore16(acc, 0, o);
    } else {
        float result[16];
        vstore16(acc, 0, result);
        for (int j = 0; j < OW - ox0; ++j) o[j] = result[j];
    }
}
#endif

// The CPU profile's upfirdn2d for up and down factors of 1 or 2 (one of them 1) per axis, and its
// adjoints: the same op with up and down swapped, FLIP toggled and the pads mirrored. Every option
// of both kernels above (FIR_H, FIR_W, UP_Y, UP_X, DOWN_Y, DOWN_X) and FLIP are build options:
//   out[p][oy][ox] = gain * sum_{ky,kx} f'[ky][kx] * u[oy*DOWN_Y + ky - padY0][ox*DOWN_X + kx - padX0]
// with u the input zero-inserted by UP (u[j] = x[j / UP] at multiples of UP inside the image, else
// 0) and f' = f rotated 180 degrees when FLIP, else f.
// A work-item computes `rows` output rows of one plane (global [planes, ceil(OH / rows)]): where a
// row's 16 neighbouring outputs read only inside the image, 16-wide loads feed them (for DOWN_X 2
// the even lanes of 32 inputs, for UP_X 2 eight inputs interleaved with zeros), the last such strip
// moved back to end at the last such output; the outputs at the edges are summed tap by tap (for
// up = down = 1 the edge strips are 16-wide too, see below). On PoCL a work-item that loops over
// rows costs far less than one work-item per output or per strip.
#if defined(UPFIRDN_ROWS) && UP_X * DOWN_X <= 2
__kernel void upfirdn2d_rows_f32(__global float* restrict out, __global const float* restrict x, __global const float* restrict f,
                                 int planes, int H, int W, int padY0, int padX0, int OH, int OW, float gain, int rows)
{
    const int p = get_global_id(0), oy0 = get_global_id(1) * rows;
    if (p >= planes || oy0 >= OH) return;
    const __global float* plane = x + (size_t)p * H * W;
    float taps[FIR_H][FIR_W];
    for (int ky = 0; ky < FIR_H; ++ky)
        for (int kx = 0; kx < FIR_W; ++kx)
            taps[ky][kx] = gain * (FLIP ? f[(FIR_H - 1 - ky) * FIR_W + (FIR_W - 1 - kx)] : f[ky * FIR_W + kx]);
    // Outputs [lo, hi) read positions ox·DOWN_X - padX0 ... + FIR_W - 1 (+ 1 more for DOWN_X 2's
    // second 16-wide load) inside the zero-inserted row of W·UP_X.
    const int lo = padX0 > 0 ? (padX0 + DOWN_X - 1) / DOWN_X : 0;
    const int hi = min(OW, (W * UP_X - FIR_W - DOWN_X + 1 + padX0) / DOWN_X + 1);
    const bool strips = hi - lo >= 16 && W * UP_X - FIR_W - DOWN_X + 1 + padX0 >= 0;
    const int oyEnd = min(oy0 + rows, OH);
    for (int oy = oy0; oy < oyEnd; ++oy) {
        __global float* o = out + ((size_t)p * OH + oy) * OW;
        // The input row of each filter row, or null where it reads zeros.
        const __global float* in[FIR_H];
        for (int ky = 0; ky < FIR_H; ++ky) {
            const int uy = oy * DOWN_Y + ky - padY0;
            in[ky] = uy >= 0 && uy < H * UP_Y && uy % UP_Y == 0 ? plane + (uy / UP_Y) * W : 0;
        }
#if UP_X == 1 && DOWN_X == 1
        // Rows of 16 or more: strips over the whole row; those that reach past an edge load
        // 16-wide anyway and zero the lanes outside the row, where the load stays inside the
        // buffer (all but the first and last rows of the buffer).
        bool masked = OW >= 16 && W >= 16;
        const size_t total = (size_t)planes * H * W;
        for (int ky = 0; ky < FIR_H && masked; ++ky) {
            if (!in[ky]) continue;
            const long first = (in[ky] - x) - padX0, last = (in[ky] - x) + (OW - 16) + FIR_W - 1 - padX0 + 16;
            masked = first >= 0 && last <= (long)total;
        }
        if (masked) {
            const int16 lane = (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            for (int s = 0; s < OW; s += 16) {
                const int ox0 = min(s, OW - 16);
                const bool inside = ox0 >= lo && ox0 + 16 <= hi;
                float16 acc = 0.0f;
                for (int ky = 0; ky < FIR_H; ++ky) {
                    if (!in[ky]) continue;
                    const __global float* row = in[ky];
                    for (int kx = 0; kx < FIR_W; ++kx) {
                        const int start = ox0 + kx - padX0;
                        float16 v = vload16(0, row + start);
                        if (!inside) {
                            const int16 at = lane + (int16)(start);
                            v = select((float16)(0.0f), v, (at >= (int16)(0)) & (at < (int16)(W)));
                        }
                        acc = fma((float16)(taps[ky][kx]), v, acc);
                    }
                }
                vstore16(acc, 0, o + ox0);
            }
            continue;
        }
#endif
        if (strips) {
            for (int s = lo; s < hi; s += 16) {
                const int ox0 = min(s, hi - 16);
                const int base = ox0 * DOWN_X - padX0;   // the first lane's position for kx = 0
                float16 acc = 0.0f;
                for (int ky = 0; ky < FIR_H; ++ky) {
                    if (!in[ky]) continue;
                    const __global float* row = in[ky];
                    for (int kx = 0; kx < FIR_W; ++kx) {
#if DOWN_X == 2
                        // The even lanes of 32 inputs (vector component lists compile to one shuffle).
                        const float16 a = vload16(0, row + base + kx), b = vload16(0, row + base + kx + 16);
                        const float16 v = (float16)(a.s02468ace, b.s02468ace);
#elif UP_X == 2
                        // Eight inputs interleaved with zeros: from lane 0 where the position is even, else lane 1.
                        const int at = base + kx;
                        const float8 l = vload8(0, row + (at + 1) / 2);
                        const float16 v = (at & 1) == 0
                            ? (float16)(l.s0, 0.0f, l.s1, 0.0f, l.s2, 0.0f, l.s3, 0.0f, l.s4, 0.0f, l.s5, 0.0f, l.s6, 0.0f, l.s7, 0.0f)
                            : (float16)(0.0f, l.s0, 0.0f, l.s1, 0.0f, l.s2, 0.0f, l.s3, 0.0f, l.s4, 0.0f, l.s5, 0.0f, l.s6, 0.0f, l.s7);
#else
                        const float16 v = vload16(0, row + base + kx);
#endif
                        acc = fma((float16)(taps[ky][kx]), v, acc);
                    }
                }
                vstore16(acc, 0, o + ox0);
            }
        }
        // The edges (the whole row without strips), tap by tap over the taps that land inside.
        const int skipFrom = strips ? lo : OW;
        for (int ox = 0; ox < OW; ++ox) {
            if (ox == skipFrom) ox = hi;
            if (ox >= OW) break;
            const int ux0 = ox * DOWN_X - padX0;
            const int kx0 = max(0, -ux0), kx1 = min(FIR_W, W * UP_X - ux0);
            float sum = 0.0f;
            for (int ky = 0; ky < FIR_H; ++ky) {
                if (!in[ky]) continue;
                for (int kx = kx0; kx < kx1; ++kx) {
                    const int ux = ux0 + kx;
                    if (ux % UP_X == 0) sum = fma(taps[ky][kx], in[ky][ux / UP_X], sum);
                }
            }
            o[ox] = sum;
        }
    }
}
#endif
