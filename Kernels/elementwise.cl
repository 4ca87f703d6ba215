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
