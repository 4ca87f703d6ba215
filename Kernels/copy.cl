// Data movement: one strided copy serves permute, slice, concat and broadcast (stride 0).

// out[outOffset + sum(k_d * outStride_d)] = in[inOffset + sum(k_d * inStride_d)] for every index k of `shape`.
__kernel void copy_strided_f32(__global float* out, int outOffset, int8 outStride8,
                               __global const float* in, int inOffset, int8 inStride8,
                               int n, int rank, int8 shape8)
{
    const int i = get_global_id(0);
    if (i >= n) return;
    int shape[8], outStride[8], inStride[8];
    vstore8(shape8, 0, shape);
    vstore8(outStride8, 0, outStride);
    vstore8(inStride8, 0, inStride);
    int rest = i, oo = outOffset, io = inOffset;
    for (int d = rank - 1; d >= 0; --d) {
        const int k = rest % shape[d];
        rest /= shape[d];
        oo += k * outStride[d];
        io += k * inStride[d];
    }
    out[oo] = in[io];
}

// out[i] = value.
__kernel void fill_f32(__global float* out, int n, float value)
{
    const int i = get_global_id(0);
    if (i < n) out[i] = value;
}
