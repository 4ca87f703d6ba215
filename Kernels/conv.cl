// 2-D convolution (NCHW, cross-correlation like F.conv2d) and its two gradients, as im2col /
// col2im around matmul_f32, or, with 16 or more output channels per group, im2col kernels that
// write matmul_panels_f32's panels directly.

// For `batchCount` images starting at x + xOffset, col[b][row][oy*OW + ox] with row = (ci*KH + ky)*KW + kx
// gets x[b][ci][oy*strideY - padY + ky][ox*strideX - padX + kx], zero outside the image.
// One work-item writes one output row (all ox) of one (b, row).
__kernel void im2col_f32(__global float* col, __global const float* x, int xOffset, int batchCount,
                         int C, int H, int W, int KH, int KW, int strideY, int strideX, int padY, int padX,
                         int OH, int OW)
{
    const int i = get_global_id(0);
    const int rows = C * KH * KW;
    if (i >= batchCount * rows * OH) return;
    const int oy = i % OH, row = (i / OH) % rows, b = i / (OH * rows);
    const int kx = row % KW, ky = (row / KW) % KH, ci = row / (KW * KH);
    const int iy = oy * strideY - padY + ky;
    __global float* out = col + ((b * rows + row) * OH + oy) * OW;
    if (iy < 0 || iy >= H) {
        for (int ox = 0; ox < OW; ++ox) out[ox] = 0.0f;
        return;
    }
    const __global float* in = x + xOffset + ((b * C + ci) * H + iy) * W;
    for (int ox = 0; ox < OW; ++ox) {
        const int ix = ox * strideX - padX + kx;
        out[ox] = (ix >= 0 && ix < W) ? in[ix] : 0.0f;
    }
}

// The same values laid out as col[b][oy*OW + ox][row] (for the weight gradient, whose contraction
// runs over images and pixels). One work-item writes all rows of one (b, pixel).
__kernel void im2col_transposed_f32(__global float* col, __global const float* x, int xOffset, int batchCount,
                                    int C, int H, int W, int KH, int KW, int strideY, int strideX, int padY, int padX,
                                    int OH, int OW)
{
    const int i = get_global_id(0);
    if (i >= batchCount * OH * OW) return;
    const int ox = i % OW, oy = (i / OW) % OH, b = i / (OW * OH);
    __global float* out = col + (size_t)i * (C * KH * KW);
    const __global float* image = x + xOffset + b * C * H * W;
    int row = 0;
    for (int ci = 0; ci < C; ++ci) {
        for (int ky = 0; ky < KH; ++ky) {
            const int iy = oy * strideY - padY + ky;
            const bool insideY = iy >= 0 && iy < H;
            for (int kx = 0; kx < KW; ++kx, ++row) {
                const int ix = ox * strideX - padX + kx;
                out[row] = (insideY && ix >= 0 && ix < W) ? image[(ci * H + iy) * W + ix] : 0.0f;
            }
        }
    }
}

// The adjoint of im2col (forward layout): every input pixel gathers the col entries that read it.
// dx[b][ci][iy][ix] = sum over (ky, kx) with iy = oy*strideY - padY + ky, ix = ox*strideX - padX + kx
// of col[b][(ci*KH + ky)*KW + kx][oy*OW + ox], for `batchCount` images written at dx + dxOffset.
// One work-item writes one image row: it clears the row, then adds each contributing col row
// (fixed ky, kx) along ox, reading col in order. The sum per pixel runs over ky, then kx.
__kernel void col2im_f32(__global float* dx, int dxOffset, __global const float* col, int batchCount,
                         int C, int H, int W, int KH, int KW, int strideY, int strideX, int padY, int padX,
                         int OH, int OW)
{
    const int i = get_global_id(0);
    if (i >= batchCount * C * H) return;
    const int iy = i % H, ci = (i / H) % C, b = i / (H * C);
    __global float* out = dx + dxOffset + (size_t)i * W;
    for (int ix = 0; ix < W; ++ix) out[ix] = 0.0f;
    const int spatial = OH * OW;
    const __global float* colImage = col + (size_t)b * C * KH * KW * spatial;
    // Only kernel rows congruent to the image row modulo the stride reach it.
    const int ty0 = iy + padY;
    for (int ky = ty0 % strideY; ky < KH; ky += strideY) {
        const int ty = ty0 - ky;
        if (ty < 0) break;
        const int oy = ty / strideY;
        if (oy >= OH) continue;
        for (int kx = 0; kx < KW; ++kx) {
            const __global float* src = colImage + (size_t)((ci * KH + ky) * KW + kx) * spatial + oy * OW;
            // The outputs ox with 0 <= ox*strideX - padX + kx < W.
            const int low = padX - kx, high = W - 1 + padX - kx;
            const int oxStart = low > 0 ? (low + strideX - 1) / strideX : 0;
            const int oxEnd = high < 0 ? 0 : min(OW, high / strideX + 1);
            __global float* target = out - padX + kx;
            for (int ox = oxStart; ox < oxEnd; ++ox) target[ox * strideX] += src[ox];
        }
    }
}

// The panel width of matmul_panels_f32 (a build option: 32, or 16 on devices with 8-wide vectors).
#ifndef PANEL
#define PANEL 32
#endif
#if PANEL == 32
#define VLOAD vload16
#define VSTORE vstore16
#else
#define VLOAD vload8
#define VSTORE vstore8
#endif

// im2col for the forward convolution written straight into matmul_panels_f32's layout: for
// `batchCount` images, panel q of image b holds, for every row = (ci*KH + ky)*KW + kx, the PANEL
// pixels q*PANEL ..< (q+1)*PANEL (zero past OH*OW): bp[((b*panels + q)*rows + row)*PANEL + j].
// One work-item writes one row of one panel. Global [rows, panels, batchCount].
__kernel void im2col_panels_f32(__global float* bp, __global const float* x, int xOffset, int batchCount,
                                int C, int H, int W, int KH, int KW, int strideY, int strideX, int padY, int padX,
                                int OH, int OW)
{
    const int row = get_global_id(0), panel = get_global_id(1), b = get_global_id(2);
    const int rows = C * KH * KW;
    if (row >= rows) return;
    const int kx = row % KW, ky = (row / KW) % KH, ci = row / (KW * KH);
    const int spatial = OH * OW, panels = (spatial + PANEL - 1) / PANEL;
    __global float* out = bp + (((size_t)b * panels + panel) * rows + row) * PANEL;
    const __global float* plane = x + xOffset + ((size_t)b * C + ci) * H * W;
    const int p0 = panel * PANEL;
    int oy = p0 / OW, ox = p0 % OW;
    // All PANEL pixels in one output row and inside the image, with stride 1: two wide loads.
    const int iy = oy * strideY - padY + ky, ix = ox * strideX - padX + kx;
    if (strideX == 1 && ox + PANEL <= OW && iy >= 0 && iy < H && ix >= 0 && ix + PANEL <= W) {
        const __global float* in = plane + iy * W + ix;
        VSTORE(VLOAD(0, in), 0, out);
        VSTORE(VLOAD(1, in), 1, out);
        return;
    }
    // Otherwise output row by output row: the image row is fixed within a run, so each element
    // costs one bounds test. With stride 2, a run of 16 or 8 pixels whose 32 or 16 loaded floats
    // lie inside the row takes their even lanes.
    for (int j = 0; j < PANEL;) {
        const int run = min(PANEL - j, OW - ox);
        const int y = oy * strideY - padY + ky;
        if (p0 + j >= spatial || y < 0 || y >= H) {
            for (int t = 0; t < run; ++t) out[j + t] = 0.0f;
        } else if (strideX == 2 && (run == 16 || run == 8) && p0 + j + run <= spatial && ox * 2 - padX + kx >= 0
                   && ox * 2 - padX + kx + 2 * run <= W) {
            const __global float* in = plane + y * W + ox * 2 - padX + kx;
            const float16 a = vload16(0, in);
            if (run == 16) {
                const float16 b2 = vload16(0, in + 16);
                vstore16((float16)(a.s02468ace, b2.s02468ace), 0, out + j);
            } else {
                vstore8(a.s02468ace, 0, out + j);
            }
        } else {
            const __global float* in = plane + y * W;
            for (int t = 0; t < run; ++t) {
                const int xx = (ox + t) * strideX - padX + kx;
                out[j + t] = xx >= 0 && xx < W ? in[xx] : 0.0f;
            }
        }
        j += run;
        ox = 0;
        ++oy;
    }
}

// im2col for the weight gradient in matmul_panels_f32's layout, with the contraction over images
// and pixels: for group g, panel q holds for every k = b*OH*OW + pixel (b < batchCount) the PANEL
// rows g*rowsPerGroup + q*PANEL + j (zero past the group's rows), where row = (ci*KH + ky)*KW + kx
// indexes the unfolded input as in im2col_f32: bp[((g*panels + q)*K + k)*PANEL + j].
// One work-item writes one k of one panel. Global [K, panels, groups].
__kernel void im2col_transposed_panels_f32(__global float* bp, __global const float* x, int xOffset, int batchCount,
                                           int C, int H, int W, int KH, int KW, int strideY, int strideX,
                                           int padY, int padX, int OH, int OW, int rowsPerGroup)
{
    const int k = get_global_id(0), panel = get_global_id(1), g = get_global_id(2);
    const int spatial = OH * OW, K = batchCount * spatial;
    if (k >= K) return;
    const int panels = (rowsPerGroup + PANEL - 1) / PANEL;
    __global float* out = bp + (((size_t)g * panels + panel) * K + k) * PANEL;
    const int pixel = k % spatial, b = k / spatial;
    const int oy = pixel / OW, ox = pixel % OW;
    const int y0 = oy * strideY - padY, x0 = ox * strideX - padX;
    const int first = panel * PANEL, count = min(PANEL, rowsPerGroup - first);
    int row = g * rowsPerGroup + first;
    int kx = row % KW, ky = (row / KW) % KH, ci = row / (KW * KH);
    const __global float* image = x + xOffset + (size_t)b * C * H * W;
    for (int j = 0; j < PANEL; ++j) {
        float v = 0.0f;
        if (j < count) {
            const int iy = y0 + ky, ix = x0 + kx;
            if (iy >= 0 && iy < H && ix >= 0 && ix < W) v = image[(ci * H + iy) * W + ix];
            if (++kx == KW) { kx = 0; if (++ky == KH) { ky = 0; ++ci; } }
        }
        out[j] = v;
    }
}
