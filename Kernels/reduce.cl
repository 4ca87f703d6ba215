// Reductions over any set of axes. One work-group computes one output element: its work-items
// stride over the reduced elements, then combine in local memory.
// Build options: -DREDUCE_OP(a,b)=... -DREDUCE_INIT=...

#ifdef REDUCE_OP
#include "common.cl"

// The offset of flat index i of a (shape, stride) view of `rank` dimensions, innermost first.
int view_offset(int i, int rank, int8 shape8, int8 stride8)
{
    return strided_offsets(i, 0, rank, shape8, stride8, stride8).x;
}

// REDUCE_OP over the reduced elements first, first + step, ... of the run at `in` (the reduced
// dims read through their shape and strides): a work-item's share of one output.
float reduce_share(__global const float* in, int first, int step, int reducedCount,
                   int reducedRank, int8 reducedShape8, int8 reducedStride8)
{
    float acc = REDUCE_INIT;
    if (reducedRank == 1) {
        // The reduced elements lie at one stride: no index arithmetic.
        for (int r = first; r < reducedCount; r += step) {
            const float v = in[r * reducedStride8.s0];
            acc = REDUCE_OP(acc, v);
        }
    } else if (reducedRank == 2 && reducedShape8.s0 >= step) {
        // An outer (s1) and an inner (s0) run (a bias gradient over N and H·W): nested loops.
        for (int r1 = 0; r1 < reducedShape8.s1; ++r1) {
            const __global float* row = in + r1 * reducedStride8.s1;
            for (int r0 = first; r0 < reducedShape8.s0; r0 += step) {
                const float v = row[r0 * reducedStride8.s0];
                acc = REDUCE_OP(acc, v);
            }
        }
    } else {
        for (int r = first; r < reducedCount; r += step) {
            const float v = in[view_offset(r, reducedRank, reducedShape8, reducedStride8)];
            acc = REDUCE_OP(acc, v);
        }
    }
    return acc;
}

// The input is read as [kept dims..., reduced dims...] through the given strides;
// out[o] = scale * REDUCE_OP over the reduced elements of output o.
__kernel void reduce_f32(__global float* out, __global const float* in, int reducedCount,
                         int keptRank, int8 keptShape8, int8 keptStride8,
                         int reducedRank, int8 reducedShape8, int8 reducedStride8,
                         float scale, __local float* scratch)
{
    const int o = get_group_id(0);
    const int lid = get_local_id(0);
    const int groupSize = get_local_size(0);
    scratch[lid] = reduce_share(in + view_offset(o, keptRank, keptShape8, keptStride8), lid, groupSize, reducedCount,
                                reducedRank, reducedShape8, reducedStride8);
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int width = groupSize / 2; width > 0; width /= 2) {
        if (lid < width) {
            const float a = scratch[lid], b = scratch[lid + width];
            scratch[lid] = REDUCE_OP(a, b);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) out[o] = scratch[0] * scale;
}

// One work-item per output, reducing its elements in order: for short reductions (a work-group
// per output would idle) and for kept dimensions that are contiguous in memory (neighbouring
// work-items then read neighbouring addresses, where the tree above strides across rows).
// The arguments of reduce_f32, with the output count in place of the scratch memory.
__kernel void reduce_serial_f32(__global float* out, __global const float* in, int reducedCount,
                                int keptRank, int8 keptShape8, int8 keptStride8,
                                int reducedRank, int8 reducedShape8, int8 reducedStride8,
                                float scale, int outCount)
{
    const int o = get_global_id(0);
    if (o >= outCount) return;
    out[o] = reduce_share(in + view_offset(o, keptRank, keptShape8, keptStride8), 0, 1, reducedCount,
                          reducedRank, reducedShape8, reducedStride8) * scale;
}

// The CPU profile's reduction where the innermost reduced axis is contiguous and long (a bias
// gradient over N and H·W, a sum over a row): a work-item per output reads each run 16 floats
// at a time into 16 partial results, combined pairwise at the end, then the runs' tails. At most
// two reduced dims: the contiguous run (s0) and an outer one (s1). The arguments of reduce_serial_f32.
__kernel void reduce_rows_f32(__global float* out, __global const float* in, int reducedCount,
                              int keptRank, int8 keptShape8, int8 keptStride8,
                              int reducedRank, int8 reducedShape8, int8 reducedStride8,
                              float scale, int outCount)
{
    const int o = get_global_id(0);
    if (o >= outCount) return;
    const __global float* base = in + view_offset(o, keptRank, keptShape8, keptStride8);
    const int n0 = reducedShape8.s0, n1 = reducedRank > 1 ? reducedShape8.s1 : 1;
    const int s1 = reducedRank > 1 ? reducedStride8.s1 : 0, whole = n0 / 16 * 16;
    float16 acc = (float16)(REDUCE_INIT);
    float tail = REDUCE_INIT;
    for (int r1 = 0; r1 < n1; ++r1) {
        const __global float* row = base + (size_t)r1 * s1;
        for (int j = 0; j < whole; j += 16) {
            const float16 v = vload16(0, row + j);
            acc = REDUCE_OP(acc, v);
        }
        for (int j = whole; j < n0; ++j) {
            const float v = row[j];
            tail = REDUCE_OP(tail, v);
        }
    }
    const float8 h = REDUCE_OP(acc.lo, acc.hi);
    const float4 q = REDUCE_OP(h.lo, h.hi);
    const float2 d = REDUCE_OP(q.lo, q.hi);
    const float r = REDUCE_OP(d.x, d.y);
    out[o] = REDUCE_OP(r, tail) * scale;
}
#endif
