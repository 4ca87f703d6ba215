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
