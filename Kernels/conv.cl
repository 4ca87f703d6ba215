// 2-D convolution (NCHW, cross-correlation like F.conv2d) and its two gradients, as im2col /
// col2im around matmul_f32.

// For `batchCount` images starting at x + xOffset, every (b, row, p) with row = (ci*KH + ky)*KW + kx
// and p = oy*OW + ox gets x[b][ci][oy*strideY - padY + ky][ox*strideX - padX + kx] (zero outside
// the image), written at col[b*colBatchStride + row*colRowStride + p*colPixelStride].
// The forward pass lays col out as [b][row][p]; the weight gradient as [b][p][row].
__kernel void im2col_f32(__global float* col, int colBatchStride, int colRowStride, int colPixelStride,
                         __global const float* x, int xOffset, int batchCount,
                         int C, int H, int W, int KH, int KW, int strideY, int strideX, int padY, int padX,
                         int OH, int OW)
{
    const int i = get_global_id(0);
    const int spatial = OH * OW;
    const int rows = C * KH * KW;
    if (i >= batchCount * rows * spatial) return;
    const int p = i % spatial;
    const int row = (i / spatial) % rows;
    const int b = i / (spatial * rows);
    const int kx = row % KW, ky = (row / KW) % KH, ci = row / (KW * KH);
    const int oy = p / OW, ox = p % OW;
    const int iy = oy * strideY - padY + ky, ix = ox * strideX - padX + kx;
    float v = 0.0f;
    if (iy >= 0 && iy < H && ix >= 0 && ix < W)
        v = x[xOffset + ((b * C + ci) * H + iy) * W + ix];
    col[b * colBatchStride + row * colRowStride + p * colPixelStride] = v;
}

// The adjoint of im2col (forward layout): every input pixel gathers the col entries that read it.
// dx[b][ci][iy][ix] = sum over (ky, kx) with iy = oy*strideY - padY + ky, ix = ox*strideX - padX + kx
// of col[b][(ci*KH + ky)*KW + kx][oy*OW + ox], for `batchCount` images written at dx + dxOffset.
__kernel void col2im_f32(__global float* dx, int dxOffset, __global const float* col, int batchCount,
                         int C, int H, int W, int KH, int KW, int strideY, int strideX, int padY, int padX,
                         int OH, int OW)
{
    const int i = get_global_id(0);
    if (i >= batchCount * C * H * W) return;
    const int ix = i % W, iy = (i / W) % H, ci = (i / (W * H)) % C, b = i / (W * H * C);
    const int spatial = OH * OW;
    const __global float* colImage = col + b * C * KH * KW * spatial;
    float sum = 0.0f;
    for (int ky = 0; ky < KH; ++ky) {
        const int ty = iy + padY - ky;
        if (ty < 0 || ty % strideY != 0) continue;
        const int oy = ty / strideY;
        if (oy >= OH) continue;
        for (int kx = 0; kx < KW; ++kx) {
            const int tx = ix + padX - kx;
            if (tx < 0 || tx % strideX != 0) continue;
            const int ox = tx / strideX;
            if (ox >= OW) continue;
            sum += colImage[((ci * KH + ky) * KW + kx) * spatial + oy * OW + ox];
        }
    }
    dx[dxOffset + i] = sum;
}
