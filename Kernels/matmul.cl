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

