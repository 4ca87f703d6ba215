import OpenCLRuntime
import Tensors

/// How a 3×3 stride-1 convolution runs on the CPU profile as Winograd's F(m×m, 3×3)
/// (Kernels/winograd.cl): the output tile, and the tiles of one image.
struct WinogradPlan {
    /// Output pixels a tile has on a side (2 or 4).
    let m: Int
    let tilesY, tilesX: Int

    /// Input pixels a tile reads on a side.
    var alpha: Int { m + 2 }
    /// The α² points of a tile: one matrix product each.
    var points: Int { alpha * alpha }
    var tilesPerImage: Int { tilesY * tilesX }

    init(m: Int, _ c: ConvGeometry) {
        self.m = m
        (tilesY, tilesX) = ((c.oh + m - 1) / m, (c.ow + m - 1) / m)
    }
}

extension OpenCLBackend {
    static let winogradFile = "winograd.cl"

    /// The Winograd plan for a convolution, or nil for im2col. Only 3×3 kernels with stride 1,
    /// padding up to 2 and at least 16 output channels per group (the panel products' rows) on the
    /// CPU profile. With `winogradTile` nil, the tile whose products and transforms cost least, and
    /// only when that is below 0.7 of the im2col product (small images fill few panel columns); a
    /// tile set by `winogradTile` is used wherever the geometry allows (to check and measure it).
    func winogradPlan(_ c: ConvGeometry) -> WinogradPlan? {
        guard isCPU, c.kh == 3, c.kw == 3, c.p.stride == (1, 1), (0...2).contains(c.p.padding.y), (0...2).contains(c.p.padding.x),
              c.outPerGroup >= Self.panelMinimumRows, winogradTile != 0 else { return nil }
        if let m = winogradTile { return WinogradPlan(m: m, c) }
        // Multiply-adds per group, counting the padded columns of the last panel as the kernels do.
        let direct = Double(c.outPerGroup * c.rowsPerGroup) * Double(c.batch * roundUp(c.spatial, panelWidth))
        let best = [2, 4].map { m -> (WinogradPlan, Double) in
            let plan = WinogradPlan(m: m, c)
            let columns = Double(roundUp(c.batch * plan.tilesPerImage, panelWidth))
            let products = Double(plan.points * c.outPerGroup * c.groupChannels) * columns
            // Each transform touches α² values per tile and channel with about α multiply-adds.
            let transforms = Double(plan.points * plan.alpha * (c.outPerGroup + c.groupChannels)) * columns
            return (plan, products + transforms)
        }.min { $0.1 < $1.1 }
        guard let (plan, cost) = best, cost < 0.7 * direct else { return nil }
        return plan
    }

    /// Images per Winograd chunk, so that the transformed input and the products' output of one
    /// chunk stay under `im2colLimit` elements.
    func winogradChunk(_ c: ConvGeometry, _ plan: WinogradPlan) -> Int {
        c.chunk(limit: im2colLimit, elementsPerImage: plan.points * plan.tilesPerImage * (c.channels + c.outChannels))
    }

    /// The convolution as F(m×m, 3×3): U = G w Gᵀ once, then per chunk of images the input
    /// transform into panels, α² products `U_ξ · V_ξ` per group, and the output transform.
    func conv2dWinograd(_ x: Storage, _ w: Storage, _ c: ConvGeometry, _ plan: WinogradPlan) throws -> Storage {
        let (groups, og, cg, P) = (c.p.groups, c.outPerGroup, c.groupChannels, panelWidth)
        let options = "-DWINO_M=\(plan.m) -DPANEL=\(P)"
        let out = try allocate(count: c.batch * c.outChannels * c.spatial, dtype: x.dtype)
        let uPlane = Self.planeStride(c.outChannels * cg)
        let u = try allocate(count: plan.points * uPlane, dtype: x.dtype)
        try winogradWeightF32(adjoint: false, options: options, out: storage(u).mem, in: storage(w).mem, plane: uPlane,
                              o: c.outChannels, cg: cg)

        let chunk = winogradChunk(c, plan)
        let maxColumns = chunk * plan.tilesPerImage
        let v = try allocate(count: plan.points * Self.planeStride(groups * roundUp(maxColumns, P) * cg), dtype: x.dtype)
        let products = try allocate(count: plan.points * Self.planeStride(c.outChannels * maxColumns), dtype: x.dtype)
        let (vMem, productsMem) = (storage(v).mem, storage(products).mem)
        // The input transform reads zero-padded planes, where every tile lies inside.
        let (hp, wp) = (plan.tilesY * plan.m + 2, plan.tilesX * plan.m + 2)
        let padded = try allocate(count: chunk * c.channels * hp * wp, dtype: x.dtype)
        for start in stride(from: 0, to: c.batch, by: chunk) {
            let count = min(chunk, c.batch - start)
            let columns = count * plan.tilesPerImage
            let panels = roundUp(columns, P) / P
            let (vPlane, mPlane) = (Self.planeStride(groups * panels * cg * P), Self.planeStride(c.outChannels * columns))
            try winogradPadF32(padded: storage(padded).mem, x: storage(x).mem, xOffset: start * c.channels * c.height * c.width,
                               planes: count * c.channels, c, hp: hp, wp: wp)
            try winogradInputPaddedF32(options: options, global: [panels, cg, groups], v: vMem, plane: vPlane, padded: storage(padded).mem,
                                       c, plan, hp: hp, wp: wp, columns: columns)
            for g in 0..<groups {
                let weights = MatrixLayout(offset: g * og * cg, batchStride: uPlane, rowStride: cg, columnStride: 1)
                let layout = PanelLayout(offset: g * panels * cg * P, batchStride: vPlane, panelStride: cg * P)
                try matmul(into: productsMem, offset: g * og * columns, batchStride: mPlane, storage(u).mem, weights,
                           panels: vMem, layout, batch: plan.points, m: og, n: columns, k: cg)
            }
            try winogradOutputF32(adjoint: false, options: options, global: [(columns + 15) / 16, c.outChannels],
                                  image: storage(out).mem, imageOffset: start * c.outChannels * c.spatial, products: productsMem,
                                  plane: mPlane, c, plan, columns: columns)
        }
        return out
    }

    /// The weight gradient as the adjoint of `conv2dWinograd`: per chunk, dM = A g Aᵀ and the input
    /// transform as panels over channels, α² products `dM_ξ · V_ξᵀ` accumulated over the chunks,
    /// then dW = Gᵀ dU G.
    func conv2dBackwardWeightWinograd(_ x: Storage, _ g: Storage, _ c: ConvGeometry, _ plan: WinogradPlan) throws -> Storage {
        let (groups, og, cg, P) = (c.p.groups, c.outPerGroup, c.groupChannels, panelWidth)
        let options = "-DWINO_M=\(plan.m) -DPANEL=\(P)"
        let panelsC = roundUp(cg, P) / P
        let chunk = winogradChunk(c, plan)
        let maxColumns = chunk * plan.tilesPerImage
        let v = try allocate(count: plan.points * Self.planeStride(groups * panelsC * P * maxColumns), dtype: x.dtype)
        let dm = try allocate(count: plan.points * Self.planeStride(c.outChannels * maxColumns), dtype: x.dtype)
        let uPlane = Self.planeStride(c.outChannels * cg)
        let du = try allocate(count: plan.points * uPlane, dtype: x.dtype)
        let (vMem, dmMem, duMem) = (storage(v).mem, storage(dm).mem, storage(du).mem)
        for start in stride(from: 0, to: c.batch, by: chunk) {
            let count = min(chunk, c.batch - start)
            let columns = count * plan.tilesPerImage
            let (vPlane, mPlane) = (Self.planeStride(groups * panelsC * P * columns), Self.planeStride(c.outChannels * columns))
            try winogradInputF32(options: options, global: [panelsC, columns, groups], v: vMem, plane: vPlane,
                                 x: storage(x).mem, xOffset: start * c.channels * c.height * c.width, c, plan, columns: columns)
            try winogradOutputF32(adjoint: true, options: options, global: [(columns + 15) / 16, c.outChannels],
                                  image: storage(g).mem, imageOffset: start * c.outChannels * c.spatial, products: dmMem,
                                  plane: mPlane, c, plan, columns: columns)
            for group in 0..<groups {
                let gradients = MatrixLayout(offset: group * og * columns, batchStride: mPlane, rowStride: columns, columnStride: 1)
                let layout = PanelLayout(offset: group * panelsC * columns * P, batchStride: vPlane, panelStride: columns * P)
                try matmul(into: duMem, offset: group * og * cg, batchStride: uPlane, dmMem, gradients,
                           panels: vMem, layout, batch: plan.points, m: og, n: cg, k: columns, accumulate: start > 0)
            }
        }
        let dw = try allocate(count: c.outChannels * cg * 9, dtype: x.dtype)
        try winogradWeightF32(adjoint: true, options: options, out: storage(dw).mem, in: duMem, plane: uPlane, o: c.outChannels, cg: cg)
        return dw
    }

    /// The stride between the α² planes of U, V and M: `count` rounded up to a cache line (16
    /// floats), plus one line, so that consecutive planes never start in the same cache set.
    static func planeStride(_ count: Int) -> Int { (count + 15) / 16 * 16 + 16 }

    private func roundUp(_ n: Int, _ multiple: Int) -> Int { (n + multiple - 1) / multiple * multiple }

    // MARK: winograd.cl

    /// `winograd_weight_f32` (U from w) or `winograd_weight_adjoint_f32` (dw from dU).
    func winogradWeightF32(adjoint: Bool, options: String, out: CLBuffer, in input: CLBuffer, plane: Int, o: Int, cg: Int) throws {
        let buffers: [(String, KernelArg)] = adjoint
            ? [("dw", .buffer(out)), ("du", .buffer(input)), ("plane", .i(plane))]
            : [("u", .buffer(out)), ("plane", .i(plane)), ("w", .buffer(input))]
        try launch(adjoint ? "winograd_weight_adjoint_f32" : "winograd_weight_f32", file: Self.winogradFile, options: options,
                   global: [o], buffers + [("O", .i(o)), ("Cg", .i(cg))])
    }

    /// `winograd_input_f32`: the weight gradient's input transform, panels over channels.
    func winogradInputF32(options: String, global: [Int], v: CLBuffer, plane: Int, x: CLBuffer, xOffset: Int, _ c: ConvGeometry,
                          _ plan: WinogradPlan, columns: Int) throws {
        try launch("winograd_input_f32", file: Self.winogradFile, options: options, global: global,
                   [("v", .buffer(v)), ("plane", .i(plane)), ("x", .buffer(x)), ("xOffset", .i(xOffset)), ("C", .i(c.channels)), ("H", .i(c.height)),
                    ("W", .i(c.width)), ("padY", .i(c.p.padding.y)), ("padX", .i(c.p.padding.x)), ("tilesY", .i(plan.tilesY)),
                    ("tilesX", .i(plan.tilesX)), ("columns", .i(columns)), ("groups", .i(c.p.groups)), ("Cg", .i(c.groupChannels))],
                   profileLabel: "F(\(plan.m)) ᵀ \(c.groupChannels)x\(columns)")
    }

    /// `winograd_pad_f32`: `planes` planes of x, zero-padded to hp × wp.
    func winogradPadF32(padded: CLBuffer, x: CLBuffer, xOffset: Int, planes: Int, _ c: ConvGeometry, hp: Int, wp: Int) throws {
        try launch("winograd_pad_f32", file: Self.winogradFile, global: [planes],
                   [("xp", .buffer(padded)), ("x", .buffer(x)), ("xOffset", .i(xOffset)), ("planes", .i(planes)), ("H", .i(c.height)),
                    ("W", .i(c.width)), ("padY", .i(c.p.padding.y)), ("padX", .i(c.p.padding.x)), ("Hp", .i(hp)), ("Wp", .i(wp))])
    }

    /// `winograd_input_padded_f32`: the forward input transform from the padded planes. It holds
    /// 3·α² float16 vectors per work-item, and PoCL keeps private arrays per work-item of a group:
    /// small groups, so that a thread's stack holds them.
    func winogradInputPaddedF32(options: String, global: [Int], v: CLBuffer, plane: Int, padded: CLBuffer, _ c: ConvGeometry,
                                _ plan: WinogradPlan, hp: Int, wp: Int, columns: Int) throws {
        try launch("winograd_input_padded_f32", file: Self.winogradFile, options: options, global: global,
                   local: [[8, 4, 2].first { global[0] % $0 == 0 } ?? 1, 1, 1],
                   [("v", .buffer(v)), ("plane", .i(plane)), ("xp", .buffer(padded)), ("C", .i(c.channels)), ("Hp", .i(hp)),
                    ("Wp", .i(wp)), ("tilesY", .i(plan.tilesY)), ("tilesX", .i(plan.tilesX)), ("columns", .i(columns)),
                    ("groups", .i(c.p.groups)), ("Cg", .i(c.groupChannels))],
                   profileLabel: "F(\(plan.m)) \(c.groupChannels)x\(columns)")
    }

    /// `winograd_output_f32` (image from the products) or `winograd_output_adjoint_f32` (the
    /// products' gradient dM from the image's gradient).
    func winogradOutputF32(adjoint: Bool, options: String, global: [Int], image: CLBuffer, imageOffset: Int, products: CLBuffer,
                           plane: Int, _ c: ConvGeometry, _ plan: WinogradPlan, columns: Int) throws {
        let buffers: [(String, KernelArg)] = adjoint
            ? [("dm", .buffer(products)), ("plane", .i(plane)), ("dy", .buffer(image)), ("dyOffset", .i(imageOffset))]
            : [("y", .buffer(image)), ("yOffset", .i(imageOffset)), ("m", .buffer(products)), ("plane", .i(plane))]
        // As the input transform: α² float16 vectors and a 16×16 array per work-item, small groups.
        try launch(adjoint ? "winograd_output_adjoint_f32" : "winograd_output_f32", file: Self.winogradFile, options: options,
                   global: global, local: [[8, 4, 2].first { global[0] % $0 == 0 } ?? 1, 1],
                   buffers + [("O", .i(c.outChannels)), ("OH", .i(c.oh)), ("OW", .i(c.ow)), ("tilesY", .i(plan.tilesY)),
                              ("tilesX", .i(plan.tilesX)), ("columns", .i(columns))],
                   profileLabel: "F(\(plan.m)) \(c.outChannels)x\(columns)")
    }
}
