// 2-D pooling over [planes, H, W] (F.max_pool2d, F.avg_pool2d with ceil_mode=False): one work-item
// per output element. Window of output (oy, ox): rows oy*strideY - padY + [0, KH), clipped to the
// image; padding never wins a max, and an average divides by KH*KW (countAll = 1, padding counted
// as zeros) or by the elements inside the image (countAll = 0, count_include_pad=False).

// The window of output element i (plane-major [planes, OH, OW]) clipped to the image:
// rows y0..y1-1 (s0, s1) and columns x0..x1-1 (s2, s3).
int4 pool_window(int i, int H, int W, int KH, int KW, int strideY, int strideX, int padY, int padX, int OH, int OW)
{
    const int ox = i % OW, oy = (i / OW) % OH;
    return (int4)(max(oy * strideY - padY, 0), min(oy * strideY - padY + KH, H),
                  max(ox * strideX - padX, 0), min(ox * strideX - padX + KW, W));
}

__kernel void max_pool2d_f32(__global float* out, __global const float* x, int planes, int H, int W,
                             int KH, int KW, int strideY, int strideX, int padY, int padX, int OH, int OW)
{
    const int i = get_global_id(0);
    if (i >= planes * OH * OW) return;
    const int4 w = pool_window(i, H, W, KH, KW, strideY, strideX, padY, padX, OH, OW);
    const int y0 = w.s0, y1 = w.s1, x0 = w.s2, x1 = w.s3;
    const __global float* plane = x + i / (OW * OH) * H * W;
    float value = -INFINITY;
    for (int y = y0; y < y1; y++)
        for (int xx = x0; xx < x1; xx++)
            value = fmax(value, plane[y * W + xx]);
    out[i] = value;
}

__kernel void avg_pool2d_f32(__global float* out, __global const float* x, int planes, int H, int W,
                             int KH, int KW, int strideY, int strideX, int padY, int padX, int OH, int OW, int countAll)
{
    const int i = get_global_id(0);
    if (i >= planes * OH * OW) return;
    const int4 w = pool_window(i, H, W, KH, KW, strideY, strideX, padY, padX, OH, OW);
    const int y0 = w.s0, y1 = w.s1, x0 = w.s2, x1 = w.s3;
    const __global float* plane = x + i / (OW * OH) * H * W;
    float sum = 0.0f;
    for (int y = y0; y < y1; y++)
        for (int xx = x0; xx < x1; xx++)
            sum += plane[y * W + xx];
    out[i] = sum / (float)(countAll ? KH * KW : (y1 - y0) * (x1 - x0));
}
