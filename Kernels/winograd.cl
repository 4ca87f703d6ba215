// Winograd's minimal filtering F(m×m, 3×3) for 3×3 convolutions with stride 1 (Lavin & Gray,
// "Fast Algorithms for Convolutional Neural Networks", 2016): each m×m output tile is
//     Y = Aᵀ [ Σ_c (G w_c Gᵀ) ⊙ (Bᵀ d_c B) ] A
// over input tiles d of α = m + 2 pixels a side. The sum over channels is α² independent matrix
// products U_ξ [O × C] · V_ξ [C × tiles] (matmul_panels_f32), one per point ξ of the α×α tile:
// α²/m² multiply-adds per output pixel and channel pair instead of 9 (4 for F(2×2), 2.25 for F(4×4)).
// The weight gradient is the same products' adjoint: dU_ξ = Σ_tiles (A dY Aᵀ)_ξ · V_ξᵀ, then
// dW = Gᵀ dU G.
//
// WINO_M (a build option) is the output tile, 2 or 4; the matrices are those of the paper
// (interpolation points 0, ±1 for F(2×2); 0, ±1, ±2 and ∞ for F(4×4)).
//
// Columns ("tiles") are numbered over the images of a launch, row-major within each image:
// column = (image · tilesY + ty) · tilesX + tx; tile (ty, tx) covers output rows ty·m ..< ty·m + m
// and reads input rows ty·m - padY ..< ty·m - padY + α (zero outside the image).

#ifndef WINO_M
#define WINO_M 2
#endif
#define ALPHA (WINO_M + 2)

// The 1-D transforms, written out so that every coefficient is a literal (loops over __constant
// matrices stayed loops in memory on PoCL, at ten times the cost). Each maps the values a0..
// to r0..; the 2-D transform applies it to the columns, then to the rows.
#if WINO_M == 2
// Bᵀ: 4 → 4
#define INPUT_1D(a0, a1, a2, a3, r0, r1, r2, r3) { \
    r0 = a0 - a2; r1 = a1 + a2; r2 = a2 - a1; r3 = a1 - a3; }
// G: 3 → 4
#define WEIGHT_1D(a0, a1, a2, r0, r1, r2, r3) { \
    r0 = a0; r1 = 0.5f * (a0 + a1 + a2); r2 = 0.5f * (a0 - a1 + a2); r3 = a2; }
// Gᵀ: 4 → 3
#define WEIGHT_ADJOINT_1D(a0, a1, a2, a3, r0, r1, r2) { \
    r0 = a0 + 0.5f * (a1 + a2); r1 = 0.5f * (a1 - a2); r2 = 0.5f * (a1 + a2) + a3; }
// Aᵀ: 4 → 2
#define OUTPUT_1D(a0, a1, a2, a3, r0, r1) { r0 = a0 + a1 + a2; r1 = a1 - a2 - a3; }
// A: 2 → 4
#define OUTPUT_ADJOINT_1D(a0, a1, r0, r1, r2, r3) { r0 = a0; r1 = a0 + a1; r2 = a0 - a1; r3 = -a1; }
#elif WINO_M == 4
// Bᵀ: 6 → 6
#define INPUT_1D(a0, a1, a2, a3, a4, a5, r0, r1, r2, r3, r4, r5) { \
    r0 = 4.0f * a0 - 5.0f * a2 + a4; \
    r1 = a3 + a4 - 4.0f * (a1 + a2); \
    r2 = a4 - a3 + 4.0f * (a1 - a2); \
    r3 = a4 - a2 + 2.0f * (a3 - a1); \
    r4 = a4 - a2 + 2.0f * (a1 - a3); \
    r5 = 4.0f * a1 - 5.0f * a3 + a5; }
// G: 3 → 6
#define WEIGHT_1D(a0, a1, a2, r0, r1, r2, r3, r4, r5) { \
    r0 = 0.25f * a0; \
    r1 = (a0 + a1 + a2) * (-1.0f / 6); \
    r2 = (a0 - a1 + a2) * (-1.0f / 6); \
    r3 = a0 * (1.0f / 24) + a1 * (1.0f / 12) + a2 * (1.0f / 6); \
    r4 = a0 * (1.0f / 24) - a1 * (1.0f / 12) + a2 * (1.0f / 6); \
    r5 = a2; }
// Gᵀ: 6 → 3
#define WEIGHT_ADJOINT_1D(a0, a1, a2, a3, a4, a5, r0, r1, r2) { \
    r0 = 0.25f * a0 - (a1 + a2) * (1.0f / 6) + (a3 + a4) * (1.0f / 24); \
    r1 = (a2 - a1) * (1.0f / 6) + (a3 - a4) * (1.0f / 12); \
    r2 = (a3 + a4 - a1 - a2) * (1.0f / 6) + a5; }
// Aᵀ: 6 → 4
#define OUTPUT_1D(a0, a1, a2, a3, a4, a5, r0, r1, r2, r3) { \
    r0 = a0 + a1 + a2 + a3 + a4; \
    r1 = a1 - a2 + 2.0f * (a3 - a4); \
    r2 = a1 + a2 + 4.0f * (a3 + a4); \
    r3 = a1 - a2 + 8.0f * (a3 - a4) + a5; }
// A: 4 → 6
#define OUTPUT_ADJOINT_1D(a0, a1, a2, a3, r0, r1, r2, r3, r4, r5) { \
    r0 = a0; \
    r1 = a0 + a1 + a2 + a3; \
    r2 = a0 - a1 + a2 - a3; \
    r3 = a0 + 2.0f * a1 + 4.0f * a2 + 8.0f * a3; \
    r4 = a0 - 2.0f * a1 + 4.0f * a2 - 8.0f * a3; \
    r5 = a3; }
#else
#error "WINO_M must be 2 or 4"
#endif

// CALL(F, list, list) expands the lists before F counts its arguments.
#define CALL(F, a, b) F(a, b)
// Argument lists of n elements of a row (x[i][0], x[i][1], ...) or a column (x[0][j], ...).
#define ROW3(x, i) x[i][0], x[i][1], x[i][2]
#define COL3(x, j) x[0][j], x[1][j], x[2][j]
#if WINO_M == 2
#define ROWM(x, i) x[i][0], x[i][1]
#define COLM(x, j) x[0][j], x[1][j]
#define ROWA(x, i) x[i][0], x[i][1], x[i][2], x[i][3]
#define COLA(x, j) x[0][j], x[1][j], x[2][j], x[3][j]
#else
#define ROWM(x, i) x[i][0], x[i][1], x[i][2], x[i][3]
#define COLM(x, j) x[0][j], x[1][j], x[2][j], x[3][j]
#define ROWA(x, i) x[i][0], x[i][1], x[i][2], x[i][3], x[i][4], x[i][5]
#define COLA(x, j) x[0][j], x[1][j], x[2][j], x[3][j], x[4][j], x[5][j]
#endif

#ifndef PANEL
#define PANEL 32
#endif

// The α² planes of U, V and M lie `plane` floats apart, a stride that the host pads by one cache
// line: at a multiple of 4 KiB, all α² of a tile's values fall in one cache set.
//
// Each work-item transforms a run: the weights of one output channel, a row of tiles, or the
// PANEL values of one panel row.

// U[ξ][o][c] = (G w[o][c] Gᵀ)[ξ] for weights [O, Cg, 3, 3]. Global [O]: a work-item per output channel.
__kernel void winograd_weight_f32(__global float* u, int plane, __global const float* w, int O, int Cg)
{
    const int o = get_global_id(0);
    if (o >= O) return;
    for (int c = 0; c < Cg; ++c) {
        const __global float* g = w + ((size_t)o * Cg + c) * 9;
        float k[3][3], t[ALPHA][3], r[ALPHA][ALPHA];
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) k[i][j] = g[i * 3 + j];
        for (int j = 0; j < 3; ++j) CALL(WEIGHT_1D, COL3(k, j), COLA(t, j))
        for (int i = 0; i < ALPHA; ++i) CALL(WEIGHT_1D, ROW3(t, i), ROWA(r, i))
        __global float* out = u + (size_t)o * Cg + c;
        for (int i = 0; i < ALPHA; ++i)
            for (int j = 0; j < ALPHA; ++j) out[(size_t)(i * ALPHA + j) * plane] = r[i][j];
    }
}

// dw[o][c] = Gᵀ dU[·][o][c] G, the adjoint of winograd_weight_f32. Global [O].
__kernel void winograd_weight_adjoint_f32(__global float* dw, __global const float* du, int plane, int O, int Cg)
{
    const int o = get_global_id(0);
    if (o >= O) return;
    for (int c = 0; c < Cg; ++c) {
        const __global float* in = du + (size_t)o * Cg + c;
        float d[ALPHA][ALPHA], t[3][ALPHA], r[3][3];
        for (int i = 0; i < ALPHA; ++i)
            for (int j = 0; j < ALPHA; ++j) d[i][j] = in[(size_t)(i * ALPHA + j) * plane];
        for (int j = 0; j < ALPHA; ++j) CALL(WEIGHT_ADJOINT_1D, COLA(d, j), COL3(t, j))
        for (int i = 0; i < 3; ++i) CALL(WEIGHT_ADJOINT_1D, ROWA(t, i), ROW3(r, i))
        __global float* out = dw + ((size_t)o * Cg + c) * 9;
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) out[i * 3 + j] = r[i][j];
    }
}

// The tile of a column: (tx, ty, image).
inline int3 tile_of(int column, int tilesY, int tilesX)
{
    return (int3)(column % tilesX, (column / tilesX) % tilesY, column / (tilesX * tilesY));
}

// The tile `step` columns further on, for steps that do not cross a row of tiles (tilesX a multiple of step).
inline int3 next_tiles(int3 tile, int step, int tilesY, int tilesX)
{
    tile.x += step;
    if (tile.x == tilesX) {
        tile.x = 0;
        if (++tile.y == tilesY) { tile.y = 0; ++tile.z; }
    }
    return tile;
}

// The α×α input tile whose top-left pixel is (y0, x0) of the plane `in`, zero outside H × W.
inline void load_tile(float d[ALPHA][ALPHA], const __global float* in, int H, int W, int y0, int x0)
{
    if (y0 >= 0 && x0 >= 0 && y0 + ALPHA <= H && x0 + ALPHA <= W) {
        for (int i = 0; i < ALPHA; ++i)
            for (int j = 0; j < ALPHA; ++j) d[i][j] = in[(y0 + i) * W + x0 + j];
        return;
    }
    for (int i = 0; i < ALPHA; ++i) {
        const int iy = y0 + i;
        for (int j = 0; j < ALPHA; ++j) {
            const int ix = x0 + j;
            d[i][j] = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? in[iy * W + ix] : 0.0f;
        }
    }
}

// The input transform V = Bᵀ d B of every (column, channel) of `groups` groups of Cg channels, in
// the weight gradient's layout for matmul_panels_f32's B operand (B = V_ξᵀ [columns × Cg]), PANEL
// floats per row: v[ξ][g][c / PANEL][column][c % PANEL]. Global [channel panels, columns, groups],
// a work-item per panel row (PANEL channels); channels past Cg are written as zeros. x holds images
// of C channels (C = groups · Cg), starting at x + xOffset. The forward layout is
// winograd_input_padded_f32's.
__kernel void winograd_input_f32(__global float* v, int plane, __global const float* x, int xOffset, int C, int H, int W,
                                 int padY, int padX, int tilesY, int tilesX, int columns, int groups, int Cg)
{
    const int group = get_global_id(2);
    const int panels = (Cg + PANEL - 1) / PANEL, panel = get_global_id(0), column = get_global_id(1);
    if (panel >= panels || column >= columns) return;
    __global float* out = v + (((size_t)group * panels + panel) * columns + column) * PANEL;
    const int3 tile = tile_of(column, tilesY, tilesX);
    for (int lane = 0; lane < PANEL; ++lane) {
        const int c = panel * PANEL + lane;
        if (c >= Cg) {
            for (int xi = 0; xi < ALPHA * ALPHA; ++xi) out[(size_t)xi * plane + lane] = 0.0f;
            continue;
        }
        const __global float* in = x + xOffset + ((size_t)tile.z * C + (size_t)group * Cg + c) * H * W;
        float d[ALPHA][ALPHA], t[ALPHA][ALPHA], r[ALPHA][ALPHA];
        load_tile(d, in, H, W, tile.y * WINO_M - padY, tile.x * WINO_M - padX);
        for (int j = 0; j < ALPHA; ++j) CALL(INPUT_1D, COLA(d, j), COLA(t, j))
        for (int i = 0; i < ALPHA; ++i) CALL(INPUT_1D, ROWA(t, i), ROWA(r, i))
        for (int i = 0; i < ALPHA; ++i)
            for (int j = 0; j < ALPHA; ++j) out[(size_t)(i * ALPHA + j) * plane + lane] = r[i][j];
    }
}

// The input of winograd_input_padded_f32: each of `planes` planes of x (from x + xOffset) with
// zeros around it, Hp × Wp with the image at (padY, padX), where every tile's α×α pixels lie
// inside (Hp = tilesY·m + 2, Wp = tilesX·m + 2). Global [planes]: a work-item per plane.
__kernel void winograd_pad_f32(__global float* restrict xp, __global const float* restrict x, int xOffset, int planes,
                               int H, int W, int padY, int padX, int Hp, int Wp)
{
    const int p = get_global_id(0);
    if (p >= planes) return;
    const __global float* in = x + xOffset + (size_t)p * H * W;
    __global float* out = xp + (size_t)p * Hp * Wp;
    const int right = min(Wp, padX + W);   // the row lies in [padX, right)
    for (int r = 0; r < Hp; ++r) {
        __global float* o = out + r * Wp;
        const int iy = r - padY;
        if (iy < 0 || iy >= H) {
            for (int j = 0; j < Wp; ++j) o[j] = 0.0f;
            continue;
        }
        const __global float* row = in + iy * W - padX;
        for (int j = 0; j < padX; ++j) o[j] = 0.0f;
        int j = padX;
        for (; j + 16 <= right; j += 16) vstore16(vload16(0, row + j), 0, o + j);
        for (; j < right; ++j) o[j] = row[j];
        for (; j < Wp; ++j) o[j] = 0.0f;
    }
}

// The input transform in the forward layout for matmul_panels_f32's B operand (B = V_ξ [Cg ×
// columns]), PANEL floats per row: v[ξ][g][column / PANEL][c][column % PANEL], from the padded
// planes of winograd_pad_f32 (C planes an image), columns past the last written as zeros. Global
// [column panels, Cg, groups] with small groups (PoCL keeps each work-item's arrays), a work-item
// per panel row, 16 columns at a time in float16 lanes. For F(4×4) with rows of tiles in fours
// (tilesX a multiple of 4), each 4 tiles of a row read their 6 rows of 18 pixels with one 16-wide
// and one 2-wide load, de-interleaved into 4 lanes; otherwise lane by lane. No pixel is tested
// against the image's edges.
#define BLOCK_ROW(SW, i, w, e) { \
    d[i][0].SW = w.s048c; d[i][1].SW = w.s159d; d[i][2].SW = w.s26ae; d[i][3].SW = w.s37bf; \
    d[i][4].SW = (float4)(w.s48c, e.s0); d[i][5].SW = (float4)(w.s59d, e.s1); }
__kernel void winograd_input_padded_f32(__global float* v, int plane, __global const float* xp, int C, int Hp, int Wp,
                                        int tilesY, int tilesX, int columns, int groups, int Cg)
{
    const int group = get_global_id(2);
    const int panels = (columns + PANEL - 1) / PANEL, panel = get_global_id(0), c = get_global_id(1);
    if (panel >= panels || c >= Cg) return;
    __global float* out = v + (((size_t)group * panels + panel) * Cg + c) * PANEL;
    const size_t planeSize = (size_t)Hp * Wp;
    for (int h0 = 0; h0 < PANEL; h0 += 16) {
        const int c0 = panel * PANEL + h0;
        float16 d[ALPHA][ALPHA], t[ALPHA][ALPHA], r[ALPHA][ALPHA];
#if WINO_M == 4
        if (c0 + 16 <= columns && tilesX % 4 == 0) {
            int3 tile = tile_of(c0, tilesY, tilesX);
            for (int b = 0; b < 4; ++b, tile = next_tiles(tile, 4, tilesY, tilesX)) {
                const __global float* in = xp + ((size_t)tile.z * C + group * Cg + c) * planeSize + tile.y * 4 * Wp + tile.x * 4;
                for (int i = 0; i < ALPHA; ++i) {
                    const float16 w = vload16(0, in + i * Wp);
                    const float2 e = vload2(0, in + i * Wp + 16);
                    if (b == 0) BLOCK_ROW(s0123, i, w, e)
                    else if (b == 1) BLOCK_ROW(s4567, i, w, e)
                    else if (b == 2) BLOCK_ROW(s89ab, i, w, e)
                    else BLOCK_ROW(scdef, i, w, e)
                }
            }
        } else
#endif
        {
            float values[ALPHA * ALPHA][16];
            for (int k = 0; k < 16; ++k) {
                const int column = c0 + k;
                if (column >= columns) {
                    for (int xi = 0; xi < ALPHA * ALPHA; ++xi) values[xi][k] = 0.0f;
                    continue;
                }
                const int3 tile = tile_of(column, tilesY, tilesX);
                const __global float* in = xp + ((size_t)tile.z * C + group * Cg + c) * planeSize
                                           + tile.y * WINO_M * Wp + tile.x * WINO_M;
                for (int i = 0; i < ALPHA; ++i)
                    for (int j = 0; j < ALPHA; ++j) values[i * ALPHA + j][k] = in[i * Wp + j];
            }
            for (int i = 0; i < ALPHA; ++i)
                for (int j = 0; j < ALPHA; ++j) d[i][j] = vload16(0, values[i * ALPHA + j]);
        }
        for (int j = 0; j < ALPHA; ++j) CALL(INPUT_1D, COLA(d, j), COLA(t, j))
        for (int i = 0; i < ALPHA; ++i) CALL(INPUT_1D, ROWA(t, i), ROWA(r, i))
        for (int i = 0; i < ALPHA; ++i)
            for (int j = 0; j < ALPHA; ++j) vstore16(r[i][j], 0, out + (size_t)(i * ALPHA + j) * plane + h0);
    }
}
#undef BLOCK_ROW

// The output transform Y = Aᵀ M A: M[ξ][o][column] (rows of `columns`) to y[image][o][OH][OW] at
// y + yOffset, for O channels. Global [ceil(columns / 16), O]: a work-item per 16 neighbouring
// columns of one channel, whose α² products load as 16-wide vectors and transform in the lanes;
// each lane's m×m tile is then stored pixel by pixel (neighbouring columns are neighbouring tiles
// of a row, but a row of tiles may end inside the 16).
__kernel void winograd_output_f32(__global float* y, int yOffset, __global const float* m, int plane, int O, int OH, int OW,
                                  int tilesY, int tilesX, int columns)
{
    const int c0 = get_global_id(0) * 16, o = get_global_id(1);
    if (c0 >= columns || o >= O) return;
    const int lanes = min(16, columns - c0);
    const __global float* in = m + (size_t)o * columns + c0;
    float16 d[ALPHA][ALPHA], t[WINO_M][ALPHA], r[WINO_M][WINO_M];
    for (int i = 0; i < ALPHA; ++i)
        for (int j = 0; j < ALPHA; ++j) {
            const __global float* at = in + (size_t)(i * ALPHA + j) * plane;
            if (lanes == 16) {
                d[i][j] = vload16(0, at);
            } else {
                float partial[16];
                for (int k = 0; k < 16; ++k) partial[k] = k < lanes ? at[k] : 0.0f;
                d[i][j] = vload16(0, partial);
            }
        }
    for (int j = 0; j < ALPHA; ++j) CALL(OUTPUT_1D, COLA(d, j), COLM(t, j))
    for (int i = 0; i < WINO_M; ++i) CALL(OUTPUT_1D, ROWA(t, i), ROWM(r, i))
    int3 tile = tile_of(c0, tilesY, tilesX);
#if WINO_M == 4
    // Whole tiles and rows of tiles in fours: each 4 lanes' output row is 16 neighbouring pixels,
    // interleaved from the 4 columns' vectors and stored at once.
    if (lanes == 16 && tilesX % 4 == 0 && OH == tilesY * 4 && OW == tilesX * 4) {
        for (int b = 0; b < 4; ++b, tile = next_tiles(tile, 4, tilesY, tilesX)) {
            __global float* out = y + yOffset + (((size_t)tile.z * O + o) * OH + tile.y * 4) * OW + tile.x * 4;
            for (int i = 0; i < 4; ++i) {
                const float16 u = b == 0 ? (float16)(r[i][0].s0123, r[i][1].s0123, r[i][2].s0123, r[i][3].s0123)
                                : b == 1 ? (float16)(r[i][0].s4567, r[i][1].s4567, r[i][2].s4567, r[i][3].s4567)
                                : b == 2 ? (float16)(r[i][0].s89ab, r[i][1].s89ab, r[i][2].s89ab, r[i][3].s89ab)
                                         : (float16)(r[i][0].scdef, r[i][1].scdef, r[i][2].scdef, r[i][3].scdef);
                vstore16(u.s048c159d26ae37bf, 0, out + i * OW);
            }
        }
        return;
    }
#endif
    float values[WINO_M * WINO_M][16];
    for (int i = 0; i < WINO_M; ++i)
        for (int j = 0; j < WINO_M; ++j) vstore16(r[i][j], 0, values[i * WINO_M + j]);
    for (int k = 0; k < lanes; ++k, tile = next_tiles(tile, 1, tilesY, tilesX)) {
        __global float* out = y + yOffset + (((size_t)tile.z * O + o) * OH + tile.y * WINO_M) * OW + tile.x * WINO_M;
        const int rows = min(WINO_M, OH - tile.y * WINO_M), cols = min(WINO_M, OW - tile.x * WINO_M);
        if (rows == WINO_M && cols == WINO_M) {
            for (int i = 0; i < WINO_M; ++i)
                for (int j = 0; j < WINO_M; ++j) out[i * OW + j] = values[i * WINO_M + j][k];
        } else {
            for (int i = 0; i < rows; ++i)
                for (int j = 0; j < cols; ++j) out[i * OW + j] = values[i * WINO_M + j][k];
        }
    }
}

// The adjoint of the output transform, dM = A dY Aᵀ (dY zero past OH, OW): from dy[image][o][OH][OW]
// at dy + dyOffset to dm[ξ][o][column]. Global [ceil(columns / 16), O]: a work-item gathers the
// m×m tiles of 16 neighbouring columns into lanes, transforms them as vectors and stores each of
// the α² planes' 16 values at once.
__kernel void winograd_output_adjoint_f32(__global float* dm, int plane, __global const float* dy, int dyOffset, int O, int OH, int OW,
                                          int tilesY, int tilesX, int columns)
{
    const int c0 = get_global_id(0) * 16, o = get_global_id(1);
    if (c0 >= columns || o >= O) return;
    const int lanes = min(16, columns - c0);
    float16 g[WINO_M][WINO_M], t[ALPHA][WINO_M], r[ALPHA][ALPHA];
    int3 tile = tile_of(c0, tilesY, tilesX);
#if WINO_M == 4
    // Whole tiles and rows of tiles in fours: 16-wide loads of each 4 lanes' rows, de-interleaved.
    if (lanes == 16 && tilesX % 4 == 0 && OH == tilesY * 4 && OW == tilesX * 4) {
        float16 q[4][4];   // [lane block][tile row i]
        for (int b = 0; b < 4; ++b, tile = next_tiles(tile, 4, tilesY, tilesX)) {
            const __global float* in = dy + dyOffset + (((size_t)tile.z * O + o) * OH + tile.y * 4) * OW + tile.x * 4;
            for (int i = 0; i < 4; ++i) q[b][i] = vload16(0, in + i * OW);
        }
        for (int i = 0; i < 4; ++i) {
            g[i][0] = (float16)(q[0][i].s048c, q[1][i].s048c, q[2][i].s048c, q[3][i].s048c);
            g[i][1] = (float16)(q[0][i].s159d, q[1][i].s159d, q[2][i].s159d, q[3][i].s159d);
            g[i][2] = (float16)(q[0][i].s26ae, q[1][i].s26ae, q[2][i].s26ae, q[3][i].s26ae);
            g[i][3] = (float16)(q[0][i].s37bf, q[1][i].s37bf, q[2][i].s37bf, q[3][i].s37bf);
        }
    } else
#endif
    {
    float values[WINO_M * WINO_M][16];
    for (int k = 0; k < 16; ++k, tile = next_tiles(tile, 1, tilesY, tilesX)) {
        const int rows = k < lanes ? min(WINO_M, OH - tile.y * WINO_M) : 0, cols = min(WINO_M, OW - tile.x * WINO_M);
        const __global float* in = dy + dyOffset + (((size_t)tile.z * O + o) * OH + tile.y * WINO_M) * OW + tile.x * WINO_M;
        if (rows == WINO_M && cols == WINO_M) {
            for (int i = 0; i < WINO_M; ++i)
                for (int j = 0; j < WINO_M; ++j) values[i * WINO_M + j][k] = in[i * OW + j];
        } else {
            for (int i = 0; i < WINO_M; ++i)
                for (int j = 0; j < WINO_M; ++j) values[i * WINO_M + j][k] = i < rows && j < cols ? in[i * OW + j] : 0.0f;
        }
    }
    for (int i = 0; i < WINO_M; ++i)
        for (int j = 0; j < WINO_M; ++j) g[i][j] = vload16(0, values[i * WINO_M + j]);
    }
    for (int j = 0; j < WINO_M; ++j) CALL(OUTPUT_ADJOINT_1D, COLM(g, j), COLA(t, j))
    for (int i = 0; i < ALPHA; ++i) CALL(OUTPUT_ADJOINT_1D, ROWM(t, i), ROWA(r, i))
    __global float* out = dm + (size_t)o * columns + c0;
    for (int i = 0; i < ALPHA; ++i)
        for (int j = 0; j < ALPHA; ++j) {
            __global float* at = out + (size_t)(i * ALPHA + j) * plane;
            if (lanes == 16) {
                vstore16(r[i][j], 0, at);
            } else {
                float partial[16];
                vstore16(r[i][j], 0, partial);
                for (int k = 0; k < lanes; ++k) at[k] = partial[k];
            }
        }
}
