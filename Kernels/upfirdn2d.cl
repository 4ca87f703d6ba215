// upfirdn2d (the official resampling op) and its adjoint, on [planes, H, W] with a 2-D filter.
// Forward: zero-insert (up-1 zeros after each sample), pad (negative pads crop), a true
// convolution with f * gain, then keep every down-th sample from 0:
// out[p][oy][ox] = gain * sum_{ky,kx} f[fh-1-ky][fw-1-kx] * u[oy*downY + ky - padY0][ox*downX + kx - padX0]
// where u[j] = x[j / up] when j is a multiple of up inside [0, H*up), else 0.

__kernel void upfirdn2d_f32(__global float* out, __global const float* x, __global const float* f,
                            int planes, int H, int W, int fh, int fw, int upY, int upX, int downY, int downX,
                            int padY0, int padX0, int OH, int OW, float gain)
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
__kernel void upfirdn2d_grad_f32(__global float* dx, __global const float* dy, __global const float* f,
                                 int planes, int H, int W, int fh, int fw, int upY, int upX, int downY, int downX,
                                 int padY0, int padX0, int OH, int OW, float gain)
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
