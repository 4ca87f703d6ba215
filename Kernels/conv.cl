// 2-D convolution (NCHW, cross-correlation like F.conv2d) as im2col followed by matmul_f32.

// col[b][(ci*KH + ky)*KW + kx][oy*OW + ox] = x[b][ci][oy*strideY - padY + ky][ox*strideX - padX + kx],
// zero outside the image, for `batchCount` images starting at x + xOffset.
__kernel void im2col_f32(__global float* col, __global const float* x, int xOffset, int batchCount,
                         int C, int H, int W, int KH, int KW, int strideY, int strideX, int padY, int padX,
                         int OH, int OW)
{
    const int i = get_global_id(0);
    const int spatial = OH * OW;
    const int rows = C * KH * KW;
    if (i >= batchCount * rows * spatial) return;
    const int p = i % spatial;
    const int row = (i / spatial) % rows;
    const int bIndex = i / (spatial * rows);
    const int kx = row % KW, ky = (row / KW) % KH, ci = row / (KW * KH);
    const int oy = p / OW, ox = p % OW;
    const int iy = oy * strideY - padY + ky, ix = ox * strideX - padX + kx;
    float v = 0.0f;
    if (iy >= 0 && iy < H && ix >= 0 && ix < W)
        v = x[xOffset + ((bIndex * C + ci) * H + iy) * W + ix];
    col[i] = v;
}
