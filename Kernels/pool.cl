// 2-D pooling over [planes, H, W] (F.max_pool2d, F.avg_pool2d with ceil_mode=False): one work-item
// per output element. Window of output (oy, ox): rows oy*strideY - padY + [0, KH), clipped to the
// image; padding never wins a max, and an average divides by KH*KW (countAll = 1, padding counted
// as zeros) or by the elements inside the image (countAll = 0, count_include_pad=False).

__kernel void max_pool2d_f32(__global float* out, __global const float* x, int planes, int H, int W,
                             int KH, int KW, int strideY, int strideX, int padY, int padX, int OH, int OW)
{
    const int i = get_global_id(0);
    if (i >= planes * OH * OW) return;
    const int ox = i % OW, oy = (i / OW) % OH, p = i / (OW * OH);
    const int y0 = max(oy * strideY - padY, 0), y1 = min(oy * strideY - padY + KH, H);
    const int x0 = max(ox * strideX - padX, 0), x1 = min(ox * strideX - padX + KW, W);
    const __global float* plane = x + p * H * W;
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
    const int ox = i % OW, oy = (i / OW) % OH, p = i / (OW * OH);
    const int y0 = max(oy * strideY - padY, 0), y1 = min(oy * strideY - padY + KH, H);
    const int x0 = max(ox * strideX - padX, 0), x1 = min(ox * strideX - padX + KW, W);
    const __global float* plane = x + p * H * W;
    float sum = 0.0f;
    for (int y = y0; y < y1; y++)
        for (int xx = x0; xx < x1; xx++)
            sum += plane[y * W + xx];
    out[i] = sum / (float)(countAll ? KH * KW : (y1 - y0) * (x1 - x0));
}
