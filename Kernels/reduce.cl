// Reductions over any set of axes. One work-group computes one output element: its work-items
// stride over the reduced elements, then combine in local memory.
// Build options: -DREDUCE_OP(a,b)=... -DREDUCE_INIT=...

#ifdef REDUCE_OP
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
    int keptShape[8], keptStride[8], reducedShape[8], reducedStride[8];
    vstore8(keptShape8, 0, keptShape);
    vstore8(keptStride8, 0, keptStride);
    vstore8(reducedShape8, 0, reducedShape);
    vstore8(reducedStride8, 0, reducedStride);

    int base = 0, rest = o;
    for (int d = keptRank - 1; d >= 0; --d) {
        base += (rest % keptShape[d]) * keptStride[d];
        rest /= keptShape[d];
    }
    float acc = REDUCE_INIT;
    if (reducedRank == 1) {
        // The reduced elements lie at one stride: no index arithmetic.
        const int step = reducedStride[0];
        for (int r = lid; r < reducedCount; r += groupSize) {
            const float v = in[base + r * step];
            acc = REDUCE_OP(acc, v);
        }
    } else if (reducedRank == 2 && reducedShape[1] >= groupSize) {
        // An outer and an inner run (a bias gradient over N and H·W): nested loops.
        for (int r0 = 0; r0 < reducedShape[0]; ++r0) {
            const __global float* row = in + base + r0 * reducedStride[0];
            for (int r1 = lid; r1 < reducedShape[1]; r1 += groupSize) {
                const float v = row[r1 * reducedStride[1]];
                acc = REDUCE_OP(acc, v);
            }
        }
    } else {
        for (int r = lid; r < reducedCount; r += groupSize) {
            int offset = base, q = r;
            for (int d = reducedRank - 1; d >= 0; --d) {
                offset += (q % reducedShape[d]) * reducedStride[d];
                q /= reducedShape[d];
            }
            const float v = in[offset];
            acc = REDUCE_OP(acc, v);
        }
    }
    scratch[lid] = acc;
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
    int keptShape[8], keptStride[8], reducedShape[8], reducedStride[8];
    vstore8(keptShape8, 0, keptShape);
    vstore8(keptStride8, 0, keptStride);
    vstore8(reducedShape8, 0, reducedShape);
    vstore8(reducedStride8, 0, reducedStride);
    int base = 0, rest = o;
    for (int d = keptRank - 1; d >= 0; --d) {
        base += (rest % keptShape[d]) * keptStride[d];
        rest /= keptShape[d];
    }
    float acc = REDUCE_INIT;
    if (reducedRank == 1) {
        const __global float* p = in + base;
        const int step = reducedStride[0];
        for (int r = 0; r < reducedCount; ++r, p += step) {
            const float v = *p;
            acc = REDUCE_OP(acc, v);
        }
    } else {
        for (int r = 0; r < reducedCount; ++r) {
            int offset = base, q = r;
            for (int d = reducedRank - 1; d >= 0; --d) {
                offset += (q % reducedShape[d]) * reducedStride[d];
                q /= reducedShape[d];
            }
            const float v = in[offset];
            acc = REDUCE_OP(acc, v);
        }
    }
    out[o] = acc * scale;
}
#endif
