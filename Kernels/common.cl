// What several kernel files share; a file takes it with the line #include "common.cl".

// Shapes and strides travel as int8 vectors (rank <= 8), innermost axis first (s0).
// The element offsets, through two sets of strides, of the index whose axes from..rank-1 are
// decoded from `rest` (innermost first: k_d = rest % shape_d, then rest /= shape_d).
int2 strided_offsets(int rest, int from, int rank, int8 shape8, int8 strideA8, int8 strideB8)
{
    int shape[8], strideA[8], strideB[8];
    vstore8(shape8, 0, shape);
    vstore8(strideA8, 0, strideA);
    vstore8(strideB8, 0, strideB);
    int2 offsets = (int2)(0, 0);
    for (int d = from; d < rank; ++d) {
        const int k = rest % shape[d];
        rest /= shape[d];
        offsets += (int2)(k * strideA[d], k * strideB[d]);
    }
    return offsets;
}
