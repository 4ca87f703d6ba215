// Data movement: one strided copy serves permute, slice, concat and broadcast (stride 0).

#include "common.cl"

// out[outOffset + sum(k_d * outStride_d)] = in[inOffset + sum(k_d * inStride_d)] for every index k of `shape`.
// Shapes and strides come innermost axis first. The launch is 3-D: dimension 0 runs over the
// innermost axis, 1 over the next, 2 over the rest (decomposed only when rank > 3).
__kernel void copy_strided_f32(__global float* out, int outOffset, int8 outStride8,
                               __global const float* in, int inOffset, int8 inStride8,
                               int rank, int8 shape8)
{
    const int i0 = get_global_id(0), i1 = get_global_id(1), i2 = get_global_id(2);
    int oo = outOffset + i0 * outStride8.s0 + i1 * outStride8.s1;
    int io = inOffset + i0 * inStride8.s0 + i1 * inStride8.s1;
    if (rank == 3) {
        oo += i2 * outStride8.s2;
        io += i2 * inStride8.s2;
    } else if (rank > 3) {
        const int2 rest = strided_offsets(i2, 2, rank, shape8, outStride8, inStride8);
        oo += rest.x;
        io += rest.y;
    }
    out[oo] = in[io];
}

// out[i] = value.
__kernel void fill_f32(__global float* out, int n, float value)
{
    const int i = get_global_id(0);
    if (i < n) out[i] = value;
}
