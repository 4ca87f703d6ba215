// Elementwise ops. The op itself comes from the build options, so each op is its own
// specialised program (cached per options): -DUNARY_OP(x,p0,p1)=... or -DBINARY_OP(a,b)=...
// Shapes and strides travel as int8 vectors (rank <= 8); a stride of 0 broadcasts.

#ifdef UNARY_OP
// out[i] = op(x[i]) with up to two scalar parameters p0, p1.
__kernel void unary_f32(__global float* out, __global const float* x, int n, float p0, float p1)
{
    const int i = get_global_id(0);
    if (i >= n) return;
    const float v = x[i];
    out[i] = UNARY_OP(v, p0, p1);
}
#endif

#ifdef BINARY_OP
#include "common.cl"

// out = op(a, b) over the contiguous output of `shape`; a and b are read through their own
// strides, so either may be broadcast. Shapes and strides come innermost axis first. The launch
// is 3-D: dimension 0 runs over the innermost axis, 1 over the next, 2 over the rest (decomposed
// only when rank > 3), so neighbouring work-items differ in the innermost index, no division.
__kernel void binary_f32(__global float* out, __global const float* a, __global const float* b,
                         int rank, int8 shape8, int8 aStride8, int8 bStride8)
{
    const int i0 = get_global_id(0), i1 = get_global_id(1), i2 = get_global_id(2);
    int ao = i0 * aStride8.s0 + i1 * aStride8.s1, bo = i0 * bStride8.s0 + i1 * bStride8.s1;
    const int o = (i2 * shape8.s1 + i1) * shape8.s0 + i0;
    if (rank == 3) {
        ao += i2 * aStride8.s2;
        bo += i2 * bStride8.s2;
    } else if (rank > 3) {
        const int2 rest = strided_offsets(i2, 2, rank, shape8, aStride8, bStride8);
        ao += rest.x;
        bo += rest.y;
    }
    const float va = a[ao], vb = b[bo];
    out[o] = BINARY_OP(va, vb);
}
#endif

// The CPU profile's binary op: a work-item runs `chunk` neighbouring outputs of the innermost axis
// in a loop, with a's and b's innermost strides (0 or 1) as the build options A_INNER and B_INNER,
// so that the loop compiles to vector code. Global [ceil(shape0 / chunk), the outer indices].
#if defined(A_INNER) && defined(B_INNER)
__kernel void binary_rows_f32(__global float* restrict out, __global const float* restrict a, __global const float* restrict b,
                              int rank, int8 shape8, int8 aStride8, int8 bStride8, int chunk)
{
    const int start = get_global_id(0) * chunk, outer = get_global_id(1);
    const int n0 = shape8.s0;
    if (start >= n0) return;
    const int end = min(start + chunk, n0);
    const int2 offsets = rank > 1 ? strided_offsets(outer, 1, rank, shape8, aStride8, bStride8) : (int2)(0, 0);
    __global const float* ar = a + offsets.x;
    __global const float* br = b + offsets.y;
    __global float* o = out + (size_t)outer * n0;
    for (int j = start; j < end; ++j) {
        const float va = ar[j * A_INNER], vb = br[j * B_INNER];
        o[j] = BINARY_OP(va, vb);
    }
}
#endif
