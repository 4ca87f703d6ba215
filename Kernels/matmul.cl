// Batched matrix product C[b] = A[b] * B[b], or C[b] += A[b] * B[b] when `accumulate` is set,
// with A: MxK, B: KxN, C: MxN (row-major, contiguous rows).
// A and B are read through offsets and strides, so transposes and broadcast batches cost no copy.
// Each work-item computes a TM x TN block of C in registers; B's rows are read with float8 loads
// when its columns are contiguous. (A local-memory tiled variant ran at half this speed on PoCL.)

#define TM 4
#define TN 16

__kernel void matmul_f32(__global float* c, int cOffset, int cBatchStride,
                         __global const float* a, int aOffset, int aBatchStride, int aRowStride, int aColStride,
                         __global const float* b, int bOffset, int bBatchStride, int bRowStride, int bColStride,
                         int M, int N, int K, int accumulate)
{
    // Dimension 0 runs over row blocks: neighbouring work-items share B's 16-column strip, which
    // then stays in cache however long K is.
    const int m0 = get_global_id(0) * TM;
    const int n0 = get_global_id(1) * TN;
    const int batch = get_global_id(2);
    if (m0 >= M || n0 >= N) return;
    a += aOffset + batch * aBatchStride;
    b += bOffset + batch * bBatchStride;
    c += cOffset + batch * cBatchStride;

    if (m0 + TM <= M && n0 + TN <= N && bColStride == 1) {
        float8 c00 = 0.0f, c01 = 0.0f, c10 = 0.0f, c11 = 0.0f;
        float8 c20 = 0.0f, c21 = 0.0f, c30 = 0.0f, c31 = 0.0f;
        const __global float* a0 = a + m0 * aRowStride;
        const __global float* a1 = a0 + aRowStride;
        const __global float* a2 = a1 + aRowStride;
        const __global float* a3 = a2 + aRowStride;
        const __global float* br = b + n0;
        for (int k = 0; k < K; ++k) {
            const float8 b0 = vload8(0, br);
            const float8 b1 = vload8(1, br);
            br += bRowStride;
            const int ka = k * aColStride;
            const float8 x0 = (float8)(a0[ka]), x1 = (float8)(a1[ka]);
            const float8 x2 = (float8)(a2[ka]), x3 = (float8)(a3[ka]);
            c00 = fma(x0, b0, c00); c01 = fma(x0, b1, c01);
            c10 = fma(x1, b0, c10); c11 = fma(x1, b1, c11);
            c20 = fma(x2, b0, c20); c21 = fma(x2, b1, c21);
            c30 = fma(x3, b0, c30); c31 = fma(x3, b1, c31);
        }
        __global float* cr = c + m0 * N + n0;
        if (accumulate) {
            c00 += vload8(0, cr); c01 += vload8(1, cr);
            c10 += vload8(0, cr + N); c11 += vload8(1, cr + N);
            c20 += vload8(0, cr + 2 * N); c21 += vload8(1, cr + 2 * N);
            c30 += vload8(0, cr + 3 * N); c31 += vload8(1, cr + 3 * N);
        }
        vstore8(c00, 0, cr); vstore8(c01, 1, cr); cr += N;
        vstore8(c10, 0, cr); vstore8(c11, 1, cr); cr += N;
        vstore8(c20, 0, cr); vstore8(c21, 1, cr); cr += N;
        vstore8(c30, 0, cr); vstore8(c31, 1, cr);
        return;
    }

    // Edge blocks and strided B: the same block, element by element, with bounds checks.
    float acc[TM][TN];
    for (int i = 0; i < TM; ++i)
        for (int j = 0; j < TN; ++j) acc[i][j] = 0.0f;
    const int mCount = min(TM, M - m0), nCount = min(TN, N - n0);
    for (int k = 0; k < K; ++k) {
        float av[TM], bv[TN];
        for (int i = 0; i < TM; ++i) av[i] = i < mCount ? a[(m0 + i) * aRowStride + k * aColStride] : 0.0f;
        for (int j = 0; j < TN; ++j) bv[j] = j < nCount ? b[k * bRowStride + (n0 + j) * bColStride] : 0.0f;
        for (int i = 0; i < TM; ++i)
            for (int j = 0; j < TN; ++j) acc[i][j] = fma(av[i], bv[j], acc[i][j]);
    }
    for (int i = 0; i < mCount; ++i)
        for (int j = 0; j < nCount; ++j) {
            __global float* out = c + (m0 + i) * N + n0 + j;
            *out = accumulate ? *out + acc[i][j] : acc[i][j];
        }
}


// ---------------------------------------------------------------------------------------------
// The panel path, for products with enough rows to pay for one extra pass over B.
//
// B is first copied into panels of PANEL columns: bp[batch][n / PANEL][k][n % PANEL], zero past N.
// A panel is then one contiguous run that every row block of A streams through in order. Read in
// place, B's rows are N floats apart: with N a multiple of 1024 all of a strip's rows fall in the
// same few cache sets, and the strip left the caches between uses (67 against 220 GFLOP/s for
// 512x4608 * 4608x1024 on PoCL).

// PANEL (a build option, 32 by default) is 32 on devices with 16-wide float vectors (AVX-512) and
// 16 elsewhere: a 4 x PANEL block in eight PANEL/2-wide accumulators must fit the registers (with
// AVX2's sixteen, a 4 x 32 block ran at half the speed of 4 x 16).
#ifndef PANEL
#define PANEL 32
#endif
#if PANEL == 32
#define VEC float16
#define VLOAD vload16
#define VSTORE vstore16
#elif PANEL == 16
#define VEC float8
#define VLOAD vload8
#define VSTORE vstore8
#else
#error "PANEL must be 16 or 32"
#endif
#define HALF (PANEL / 2)

// One work-item copies one k-row of one panel: global [K, panels, batch].
__kernel void pack_panels_f32(__global float* bp, __global const float* b, int bOffset, int bBatchStride,
                              int bRowStride, int bColStride, int N, int K)
{
    const int k = get_global_id(0), panel = get_global_id(1), batch = get_global_id(2);
    if (k >= K) return;
    const int panels = (N + PANEL - 1) / PANEL;
    __global float* out = bp + (((size_t)batch * panels + panel) * K + k) * PANEL;
    const __global float* in = b + bOffset + batch * bBatchStride + k * bRowStride;
    const int n0 = panel * PANEL;
    if (n0 + PANEL <= N && bColStride == 1) {
        VSTORE(VLOAD(0, in + n0), 0, out);
        VSTORE(VLOAD(0, in + n0 + HALF), 1, out);
        return;
    }
    for (int j = 0; j < PANEL; ++j) {
        const int n = n0 + j;
        out[j] = n < N ? in[n * bColStride] : 0.0f;
    }
}

// C[b] (+)= A[b] * panels of B[b]: each work-item computes a 4 x PANEL block of C in four pairs of
// PANEL/2-wide accumulators; A is read through its strides. Panel q of batch b starts at
// bp + bpOffset + b * bpBatchStride + q * bpPanelStride and holds K rows of PANEL floats
// (pack_panels_f32 writes bpPanelStride = K * PANEL; im2col_panels_f32 may hold several groups'
// rows in one panel). A[b][m][k] is a[aOffset + b*aBatchStride + m*aRowStride + (k / kSegment) *
// aSegmentStride + (k % kSegment) * aColStride]. Global [ceil(M/4), panels, batch].
#define PANEL_STORE(i) if (i < rows) { \
    VEC lo = c##i##0, hi = c##i##1; \
    if (accumulate) { lo += VLOAD(0, cr + i * N); hi += VLOAD(1, cr + i * N); } \
    VSTORE(lo, 0, cr + i * N); VSTORE(hi, 1, cr + i * N); }
#define PANEL_ROW(i) { const VEC x = (VEC)(a##i[ka]); c##i##0 = fma(x, b0, c##i##0); c##i##1 = fma(x, b1, c##i##1); }

__kernel void matmul_panels_f32(__global float* c, int cOffset, int cBatchStride,
                                __global const float* a, int aOffset, int aBatchStride, int aRowStride, int aColStride,
                                __global const float* bp, int bpOffset, int bpBatchStride, int bpPanelStride,
                                int M, int N, int K, int kSegment, int aSegmentStride, int accumulate)
{
    const int m0 = get_global_id(0) * 4;
    const int panel = get_global_id(1), n0 = panel * PANEL;
    const int batch = get_global_id(2);
    if (m0 >= M || n0 >= N) return;
    a += aOffset + batch * aBatchStride;
    c += cOffset + batch * cBatchStride;
    const __global float* br = bp + bpOffset + (size_t)batch * bpBatchStride + (size_t)panel * bpPanelStride;
    // Rows past M repeat row m0; their results are not stored.
    const __global float* r0 = a + m0 * aRowStride;
    const __global float* r1 = m0 + 1 < M ? r0 + aRowStride : r0;
    const __global float* r2 = m0 + 2 < M ? r0 + 2 * aRowStride : r0;
    const __global float* r3 = m0 + 3 < M ? r0 + 3 * aRowStride : r0;
    VEC c00 = 0.0f, c01 = 0.0f, c10 = 0.0f, c11 = 0.0f, c20 = 0.0f, c21 = 0.0f, c30 = 0.0f, c31 = 0.0f;
    // A's columns may come in segments of kSegment, aSegmentStride apart (a weight gradient reads
    // the output gradient [N, O, pixels] as O rows of N segments); kSegment = K is a plain matrix.
    for (int k0 = 0, segment = 0; k0 < K; k0 += kSegment, segment += aSegmentStride) {
        const __global float* a0 = r0 + segment;
        const __global float* a1 = r1 + segment;
        const __global float* a2 = r2 + segment;
        const __global float* a3 = r3 + segment;
        const int count = min(kSegment, K - k0);
        for (int k = 0, ka = 0; k < count; ++k, ka += aColStride) {
            const VEC b0 = VLOAD(0, br), b1 = VLOAD(1, br);
            br += PANEL;
            PANEL_ROW(0) PANEL_ROW(1) PANEL_ROW(2) PANEL_ROW(3)
        }
    }
    const int rows = min(4, M - m0);
    __global float* cr = c + m0 * N + n0;
    if (n0 + PANEL <= N) {
        PANEL_STORE(0) PANEL_STORE(1) PANEL_STORE(2) PANEL_STORE(3)
        return;
    }
    // The last, partial panel: element by element.
    float block[4 * PANEL];
    VSTORE(c00, 0, block); VSTORE(c01, 1, block); VSTORE(c10, 2, block); VSTORE(c11, 3, block);
    VSTORE(c20, 4, block); VSTORE(c21, 5, block); VSTORE(c30, 6, block); VSTORE(c31, 7, block);
    const int columns = N - n0;
    for (int i = 0; i < rows; ++i, cr += N)
        for (int j = 0; j < columns; ++j) cr[j] = accumulate ? cr[j] + block[i * PANEL + j] : block[i * PANEL + j];
}

// The GPU profile's product: C[b] (+)= A[b] * B[b] in 16x16 tiles staged through local memory,
// one work-item per element of C, work-groups of 16x16 (the classic tiled GEMM whose speed on GPUs
// is known; on CPUs the register-blocked kernels above are faster). Any strides, as matmul_f32.
#define TILE 16

__kernel void matmul_tiled_f32(__global float* c, int cOffset, int cBatchStride,
                               __global const float* a, int aOffset, int aBatchStride, int aRowStride, int aColStride,
                               __global const float* b, int bOffset, int bBatchStride, int bRowStride, int bColStride,
                               int m, int n, int k, int accumulate) {
    // Launched in work-groups of exactly TILE x TILE (the local arrays assume it).
    __local float as[TILE][TILE];
    __local float bs[TILE][TILE + 1];
    const int col = get_global_id(0), row = get_global_id(1), batch = get_global_id(2);
    const int lx = get_local_id(0), ly = get_local_id(1);
    const __global float* ab = a + aOffset + (long)batch * aBatchStride;
    const __global float* bb = b + bOffset + (long)batch * bBatchStride;
    float sum = 0.0f;
    for (int t = 0; t < k; t += TILE) {
        const int ak = t + lx, bk = t + ly;
        as[ly][lx] = (row < m && ak < k) ? ab[(long)row * aRowStride + (long)ak * aColStride] : 0.0f;
        bs[ly][lx] = (bk < k && col < n) ? bb[(long)bk * bRowStride + (long)col * bColStride] : 0.0f;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int i = 0; i < TILE; i++) sum = fma(as[ly][i], bs[i][lx], sum);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (row < m && col < n) {
        __global float* out = c + cOffset + (long)batch * cBatchStride + (long)row * n + col;
        *out = accumulate ? *out + sum : sum;
    }
}
