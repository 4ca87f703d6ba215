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
// out[i] = op(a[...], b[...]) over the contiguous output of `shape`; a and b are read through
// their own strides, so either may be broadcast. Ranks 1 and 2 (what merging usually leaves)
// take a short path without the general index loop.
__kernel void binary_f32(__global float* out, __global const float* a, __global const float* b, int n,
                         int rank, int8 shape8, int8 aStride8, int8 bStride8)
{
    const int i = get_global_id(0);
    if (i >= n) return;
    int ao, bo;
    if (rank == 1) {
        ao = i * aStride8.s0;
        bo = i * bStride8.s0;
    } else if (rank == 2) {
        const int i0 = i / shape8.s1, i1 = i - i0 * shape8.s1;
        ao = i0 * aStride8.s0 + i1 * aStride8.s1;
        bo = i0 * bStride8.s0 + i1 * bStride8.s1;
    } else {
        int shape[8], aStride[8], bStride[8];
        vstore8(shape8, 0, shape);
        vstore8(aStride8, 0, aStride);
        vstore8(bStride8, 0, bStride);
        int rest = i;
        ao = 0;
        bo = 0;
        for (int d = rank - 1; d >= 0; --d) {
            const int k = rest % shape[d];
            rest /= shape[d];
            ao += k * aStride[d];
            bo += k * bStride[d];
        }
    }
    const float va = a[ao], vb = b[bo];
    out[i] = BINARY_OP(va, vb);
}
#endif
