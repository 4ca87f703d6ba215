import OpenCLRuntime
import Tensors

// One typed wrapper per kernel, named after it (`im2col_panels_f32` → `im2colPanelsF32`): the Swift
// compiler checks each argument's type and label at the call, and each wrapper names its arguments
// as the kernel's parameters are named, so that `OpenCLOptions.checkSignatures` (on in
// `check-kernels` and the tests) compares every wrapper with the kernel's signature as the OpenCL
// compiler reports it (`clGetKernelArgInfo`). Counts travel as Int and are passed as `int`.

/// A matrix's place in a buffer, as the matmul kernels read it (`aOffset, aBatchStride, ...`).
extension MatrixLayout {
    func arguments(_ prefix: String) -> [(String, KernelArg)] {
        [("\(prefix)Offset", .i(offset)), ("\(prefix)BatchStride", .i(batchStride)),
         ("\(prefix)RowStride", .i(rowStride)), ("\(prefix)ColStride", .i(columnStride))]
    }
}

extension OpenCLBackend {
    /// Launches `name` of `file` with arguments given as (parameter name, value) pairs.
    func launch(_ name: String, file: String, options: String = "", global: [Int], local: [Int]? = nil,
                _ arguments: [(String, KernelArg)], profileLabel: @autoclosure () -> String = "") throws {
        try runtime.launch(runtime.kernel(name, file: file, options: options), global: global, local: local,
                           arguments, profileLabel: profileLabel())
    }

    // MARK: copy.cl

    func copyStridedF32(global: [Int], out: CLBuffer, outOffset: Int, outStride8: [Int], in input: CLBuffer, inOffset: Int,
                        inStride8: [Int], rank: Int, shape8: [Int], profileLabel: @autoclosure () -> String) throws {
        try launch("copy_strided_f32", file: Self.copyFile, global: global,
                   [("out", .buffer(out)), ("outOffset", .i(outOffset)), ("outStride8", .ints(outStride8)),
                    ("in", .buffer(input)), ("inOffset", .i(inOffset)), ("inStride8", .ints(inStride8)),
                    ("rank", .i(rank)), ("shape8", .ints(shape8))], profileLabel: profileLabel())
    }

    func fillF32(out: CLBuffer, n: Int, value: Float) throws {
        try launch("fill_f32", file: Self.copyFile, global: [n], [("out", .buffer(out)), ("n", .i(n)), ("value", .float(value))])
    }

    // MARK: elementwise.cl

    func unaryF32(op: String, out: CLBuffer, x: CLBuffer, n: Int, p0: Float, p1: Float) throws {
        try launch("unary_f32", file: Self.elementwise, options: "-DUNARY_OP(x,p0,p1)=\(op)", global: [n],
                   [("out", .buffer(out)), ("x", .buffer(x)), ("n", .i(n)), ("p0", .float(p0)), ("p1", .float(p1))])
    }

    func binaryF32(op: String, global: [Int], out: CLBuffer, a: CLBuffer, b: CLBuffer, rank: Int, shape8: [Int],
                   aStride8: [Int], bStride8: [Int], profileLabel: @autoclosure () -> String) throws {
        try launch("binary_f32", file: Self.elementwise, options: "-DBINARY_OP(a,b)=\(op)", global: global,
                   [("out", .buffer(out)), ("a", .buffer(a)), ("b", .buffer(b)), ("rank", .i(rank)), ("shape8", .ints(shape8)),
                    ("aStride8", .ints(aStride8)), ("bStride8", .ints(bStride8))], profileLabel: profileLabel())
    }

    func binaryRowsF32(op: String, aInner: Int, bInner: Int, global: [Int], out: CLBuffer, a: CLBuffer, b: CLBuffer, rank: Int,
                       shape8: [Int], aStride8: [Int], bStride8: [Int], chunk: Int, profileLabel: @autoclosure () -> String) throws {
        try launch("binary_rows_f32", file: Self.elementwise, options: "-DBINARY_OP(a,b)=\(op) -DA_INNER=\(aInner) -DB_INNER=\(bInner)",
                   global: global,
                   [("out", .buffer(out)), ("a", .buffer(a)), ("b", .buffer(b)), ("rank", .i(rank)), ("shape8", .ints(shape8)),
                    ("aStride8", .ints(aStride8)), ("bStride8", .ints(bStride8)), ("chunk", .i(chunk))], profileLabel: profileLabel())
    }

    // MARK: reduce.cl

    /// What `reduce_f32` and `reduce_serial_f32` share: shapes and strides innermost axis first.
    struct ReduceViews {
        var reducedCount: Int
        var kept: (shape: [Int], strides: [Int])
        var reduced: (shape: [Int], strides: [Int])

        var arguments: [(String, KernelArg)] {
            [("reducedCount", .i(reducedCount)),
             ("keptRank", .i(kept.shape.count)), ("keptShape8", .ints(kept.shape)), ("keptStride8", .ints(kept.strides)),
             ("reducedRank", .i(reduced.shape.count)), ("reducedShape8", .ints(reduced.shape)),
             ("reducedStride8", .ints(reduced.strides))]
        }
    }

    func reduceF32(options: String, global: [Int], local: [Int], out: CLBuffer, in input: CLBuffer, _ views: ReduceViews,
                   scale: Float, scratchBytes: Int, profileLabel: @autoclosure () -> String) throws {
        try launch("reduce_f32", file: Self.reduceFile, options: options, global: global, local: local,
                   [("out", .buffer(out)), ("in", .buffer(input))] + views.arguments
                   + [("scale", .float(scale)), ("scratch", .local(bytes: scratchBytes))], profileLabel: profileLabel())
    }

    /// `reduce_serial_f32`, or with `rows` `reduce_rows_f32`: the same arguments.
    func reduceSerialF32(rows: Bool = false, options: String, out: CLBuffer, in input: CLBuffer, _ views: ReduceViews, scale: Float,
                         outCount: Int, profileLabel: @autoclosure () -> String) throws {
        try launch(rows ? "reduce_rows_f32" : "reduce_serial_f32", file: Self.reduceFile, options: options, global: [outCount],
                   [("out", .buffer(out)), ("in", .buffer(input))] + views.arguments
                   + [("scale", .float(scale)), ("outCount", .i(outCount))], profileLabel: profileLabel())
    }

    // MARK: matmul.cl

    /// `matmul_f32` (fewer than 16 rows) or, on the GPU profile, `matmul_tiled_f32`: the same
    /// parameters (the tiled kernel spells the sizes in lower case).
    func matmulF32(tiled: Bool, global: [Int], local: [Int]?, c: CLBuffer, cOffset: Int, cBatchStride: Int,
                   a: CLBuffer, _ aLayout: MatrixLayout, b: CLBuffer, _ bLayout: MatrixLayout,
                   m: Int, n: Int, k: Int, accumulate: Bool, profileLabel: @autoclosure () -> String) throws {
        let sizes: [(String, KernelArg)] = tiled ? [("m", .i(m)), ("n", .i(n)), ("k", .i(k))] : [("M", .i(m)), ("N", .i(n)), ("K", .i(k))]
        try launch(tiled ? "matmul_tiled_f32" : "matmul_f32", file: Self.matmulFile, global: global, local: local,
                   [("c", .buffer(c)), ("cOffset", .i(cOffset)), ("cBatchStride", .i(cBatchStride)), ("a", .buffer(a))]
                   + aLayout.arguments("a") + [("b", .buffer(b))] + bLayout.arguments("b")
                   + sizes + [("accumulate", .i(accumulate ? 1 : 0))], profileLabel: profileLabel())
    }

    func packPanelsF32(global: [Int], bp: CLBuffer, b: CLBuffer, _ bLayout: MatrixLayout, n: Int, k: Int,
                       profileLabel: @autoclosure () -> String) throws {
        try launch("pack_panels_f32", file: Self.matmulFile, options: panelOptions, global: global,
                   [("bp", .buffer(bp)), ("b", .buffer(b))] + bLayout.arguments("b") + [("N", .i(n)), ("K", .i(k))],
                   profileLabel: profileLabel())
    }

    func matmulPanelsF32(global: [Int], c: CLBuffer, cOffset: Int, cBatchStride: Int, a: CLBuffer, _ aLayout: MatrixLayout,
                         bp: CLBuffer, bpOffset: Int, bpBatchStride: Int, bpPanelStride: Int, m: Int, n: Int, k: Int,
                         kSegment: Int, aSegmentStride: Int, accumulate: Bool, profileLabel: @autoclosure () -> String) throws {
        try launch("matmul_panels_f32", file: Self.matmulFile, options: panelOptions, global: global,
                   [("c", .buffer(c)), ("cOffset", .i(cOffset)), ("cBatchStride", .i(cBatchStride)), ("a", .buffer(a))]
                   + aLayout.arguments("a")
                   + [("bp", .buffer(bp)), ("bpOffset", .i(bpOffset)), ("bpBatchStride", .i(bpBatchStride)),
                      ("bpPanelStride", .i(bpPanelStride)), ("M", .i(m)), ("N", .i(n)), ("K", .i(k)),
                      ("kSegment", .i(kSegment)), ("aSegmentStride", .i(aSegmentStride)), ("accumulate", .i(accumulate ? 1 : 0))],
                   profileLabel: profileLabel())
    }

    // MARK: conv.cl

    /// The geometry arguments every conv.cl kernel takes after its two buffers and the offset.
    static func geometryArguments(_ c: ConvGeometry, batchCount: Int) -> [(String, KernelArg)] {
        [("batchCount", .i(batchCount)), ("C", .i(c.channels)), ("H", .i(c.height)), ("W", .i(c.width)),
         ("KH", .i(c.kh)), ("KW", .i(c.kw)), ("strideY", .i(c.p.stride.y)), ("strideX", .i(c.p.stride.x)),
         ("padY", .i(c.p.padding.y)), ("padX", .i(c.p.padding.x)), ("OH", .i(c.oh)), ("OW", .i(c.ow))]
    }

    /// `im2col_f32`, `im2col_transposed_f32`, `im2col_panels_f32` (into `bp`) or
    /// `im2col_transposed_panels_f32` (into `bp`, with `rowsPerGroup`): images `start..<start+count` of `x`.
    enum Im2col: String {
        case im2col = "im2col_f32", transposed = "im2col_transposed_f32"
        case panels = "im2col_panels_f32", transposedPanels = "im2col_transposed_panels_f32"
    }

    func im2colF32(_ variant: Im2col, global: [Int], out: CLBuffer, x: CLBuffer, _ c: ConvGeometry, start: Int, count: Int) throws {
        let isPanels = variant == .panels || variant == .transposedPanels
        try launch(variant.rawValue, file: Self.convFile, options: isPanels ? panelOptions : "", global: global,
                   [(isPanels ? "bp" : "col", .buffer(out)), ("x", .buffer(x)), ("xOffset", .i(start * c.channels * c.height * c.width))]
                   + Self.geometryArguments(c, batchCount: count)
                   + (variant == .transposedPanels ? [("rowsPerGroup", .i(c.rowsPerGroup))] : []))
    }

    func col2imF32(global: [Int], dx: CLBuffer, dxOffset: Int, col: CLBuffer, _ c: ConvGeometry, count: Int) throws {
        try launch("col2im_f32", file: Self.convFile, global: global,
                   [("dx", .buffer(dx)), ("dxOffset", .i(dxOffset)), ("col", .buffer(col))] + Self.geometryArguments(c, batchCount: count))
    }

    // MARK: pool.cl

    func pool2dF32(_ p: Pool2dParameters, out: CLBuffer, x: CLBuffer, planes: Int, h: Int, w: Int, oh: Int, ow: Int) throws {
        var arguments: [(String, KernelArg)] = [
            ("out", .buffer(out)), ("x", .buffer(x)), ("planes", .i(planes)), ("H", .i(h)), ("W", .i(w)),
            ("KH", .i(p.kernel.y)), ("KW", .i(p.kernel.x)), ("strideY", .i(p.stride.y)), ("strideX", .i(p.stride.x)),
            ("padY", .i(p.padding.y)), ("padX", .i(p.padding.x)), ("OH", .i(oh)), ("OW", .i(ow)),
        ]
        if p.kind == .average { arguments.append(("countAll", .i(p.countIncludesPadding ? 1 : 0))) }
        try launch(p.kind == .max ? "max_pool2d_f32" : "avg_pool2d_f32", file: Self.poolFile, global: [planes * oh * ow], arguments)
    }

    // MARK: augment.cl

    /// `pad_reflect_f32` (out: the padded tensor) or `pad_reflect_adjoint_f32` (out: the input's shape, from the padded x).
    func padReflectF32(adjoint: Bool, global: [Int], out: CLBuffer, x: CLBuffer, planes: Int, h: Int, w: Int, padY0: Int, padX0: Int,
                       oh: Int, ow: Int) throws {
        try launch(adjoint ? "pad_reflect_adjoint_f32" : "pad_reflect_f32", file: Self.augmentFile, global: global,
                   [(adjoint ? "dx" : "out", .buffer(out)), (adjoint ? "dy" : "x", .buffer(x)), ("planes", .i(planes)), ("H", .i(h)),
                    ("W", .i(w)), ("padY0", .i(padY0)), ("padX0", .i(padX0)), ("OH", .i(oh)), ("OW", .i(ow))])
    }

    /// `affine_grid_sample_f32` or its adjoint; H, W are the forward's input size, OH, OW its output size.
    func affineGridSampleF32(adjoint: Bool, global: [Int], out: CLBuffer, x: CLBuffer, theta: CLBuffer, n: Int, c: Int, h: Int, w: Int,
                             oh: Int, ow: Int) throws {
        try launch(adjoint ? "affine_grid_sample_adjoint_f32" : "affine_grid_sample_f32", file: Self.augmentFile, global: global,
                   [(adjoint ? "dx" : "out", .buffer(out)), (adjoint ? "dy" : "x", .buffer(x)), ("theta", .buffer(theta)), ("N", .i(n)),
                    ("C", .i(c)), ("H", .i(h)), ("W", .i(w)), ("OH", .i(oh)), ("OW", .i(ow))])
    }

    func colorMatrixF32(global: [Int], out: CLBuffer, x: CLBuffer, m: CLBuffer, n: Int, c: Int, hw: Int) throws {
        try launch("color_matrix_f32", file: Self.augmentFile, global: global,
                   [("out", .buffer(out)), ("x", .buffer(x)), ("m", .buffer(m)), ("N", .i(n)), ("C", .i(c)), ("HW", .i(hw))])
    }

    /// `sample_fir_f32` or its adjoint; `inputShape` is the forward's input, OH, OW its output size;
    /// `axis` 3 (x) or 2 (y) as the tensor op counts them.
    func sampleFIRF32(adjoint: Bool, global: [Int], out: CLBuffer, x: CLBuffer, f: CLBuffer, inputShape: [Int], t: Int, oh: Int, ow: Int,
                      axis: Int) throws {
        try launch(adjoint ? "sample_fir_adjoint_f32" : "sample_fir_f32", file: Self.augmentFile, global: global,
                   [(adjoint ? "dx" : "out", .buffer(out)), (adjoint ? "dy" : "x", .buffer(x)), ("f", .buffer(f)), ("N", .i(inputShape[0])),
                    ("C", .i(inputShape[1])), ("H", .i(inputShape[2])), ("W", .i(inputShape[3])), ("T", .i(t)), ("OH", .i(oh)),
                    ("OW", .i(ow)), ("axis", .i(axis == 3 ? 0 : 1))])
    }

    // MARK: bias_act.cl

    func biasActF32(activation: Activation, global: [Int], y: CLBuffer, x: CLBuffer, b: CLBuffer, hasBias: Bool,
                    channels: Int, planeSize: Int, alpha: Float, gain: Float, clampValue: Float) throws {
        try launch("bias_act_f32", file: Self.biasActFile, options: "-DACT(v,alpha)=\(activation.cl)", global: global,
                   [("y", .buffer(y)), ("x", .buffer(x)), ("b", .buffer(b)), ("hasBias", .i(hasBias ? 1 : 0)),
                    ("channels", .i(channels)), ("planeSize", .i(planeSize)), ("alpha", .float(alpha)), ("gain", .float(gain)),
                    ("clampValue", .float(clampValue))])
    }

    func biasActGradF32(activation: Activation, dx: CLBuffer, dy: CLBuffer, y: CLBuffer, n: Int, alpha: Float, gain: Float,
                        clampValue: Float) throws {
        try launch("bias_act_grad_f32", file: Self.biasActFile, options: "-DSLOPE(y,alpha)=\(activation.slopeCL)", global: [n],
                   [("dx", .buffer(dx)), ("dy", .buffer(dy)), ("y", .buffer(y)), ("n", .i(n)), ("alpha", .float(alpha)),
                    ("gain", .float(gain)), ("clampValue", .float(clampValue))])
    }

    // MARK: upfirdn2d.cl

    /// `upfirdn2d_f32` (`out` from `x`) or `upfirdn2d_adjoint_f32` (`dx` from `dy`): the same parameters.
    func upfirdn2dF32(adjoint: Bool, options: String, global: [Int], out: CLBuffer, x: CLBuffer, f: CLBuffer, planes: Int,
                      h: Int, w: Int, padY0: Int, padX0: Int, oh: Int, ow: Int, gain: Float) throws {
        try launch(adjoint ? "upfirdn2d_adjoint_f32" : "upfirdn2d_f32", file: Self.upfirdn2dFile, options: options, global: global,
                   [(adjoint ? "dx" : "out", .buffer(out)), (adjoint ? "dy" : "x", .buffer(x)), ("f", .buffer(f)),
                    ("planes", .i(planes)), ("H", .i(h)), ("W", .i(w)), ("padY0", .i(padY0)), ("padX0", .i(padX0)),
                    ("OH", .i(oh)), ("OW", .i(ow)), ("gain", .float(gain))])
    }

    func upfirdn2dFirF32(options: String, global: [Int], out: CLBuffer, x: CLBuffer, f: CLBuffer, h: Int, w: Int,
                         padY0: Int, padX0: Int, oh: Int, ow: Int, gain: Float) throws {
        try launch("upfirdn2d_fir_f32", file: Self.upfirdn2dFile, options: options, global: global,
                   [("out", .buffer(out)), ("x", .buffer(x)), ("f", .buffer(f)), ("H", .i(h)), ("W", .i(w)),
                    ("padY0", .i(padY0)), ("padX0", .i(padX0)), ("OH", .i(oh)), ("OW", .i(ow)), ("gain", .float(gain))])
    }

    func upfirdn2dRowsF32(options: String, global: [Int], out: CLBuffer, x: CLBuffer, f: CLBuffer, planes: Int, h: Int, w: Int,
                          padY0: Int, padX0: Int, oh: Int, ow: Int, gain: Float, rows: Int) throws {
        try launch("upfirdn2d_rows_f32", file: Self.upfirdn2dFile, options: options, global: global,
                   [("out", .buffer(out)), ("x", .buffer(x)), ("f", .buffer(f)), ("planes", .i(planes)), ("H", .i(h)), ("W", .i(w)),
                    ("padY0", .i(padY0)), ("padX0", .i(padX0)), ("OH", .i(oh)), ("OW", .i(ow)), ("gain", .float(gain)),
                    ("rows", .i(rows))])
    }

    // MARK: random.cl

    func randnF32(out: CLBuffer, n: Int, seed: UInt64, offset: UInt64) throws {
        func word(_ v: UInt64, _ shift: UInt64) -> KernelArg { .uint(UInt32(truncatingIfNeeded: v >> shift)) }
        try launch("randn_f32", file: Self.randomFile, global: [(n + 3) / 4],
                   [("out", .buffer(out)), ("n", .i(n)), ("seedLo", word(seed, 0)), ("seedHi", word(seed, 32)),
                    ("offsetLo", word(offset, 0)), ("offsetHi", word(offset, 32))])
    }

    // MARK: adam.cl

    func adamF32(p: CLBuffer, g: CLBuffer, m: CLBuffer, v: CLBuffer, n: Int, lr: Float, beta1: Float, beta2: Float,
                 eps: Float, correction1: Float, correction2: Float) throws {
        try launch("adam_f32", file: Self.adamFile, global: [n],
                   [("p", .buffer(p)), ("g", .buffer(g)), ("m", .buffer(m)), ("v", .buffer(v)), ("n", .i(n)), ("lr", .float(lr)),
                    ("beta1", .float(beta1)), ("beta2", .float(beta2)), ("eps", .float(eps)),
                    ("correction1", .float(correction1)), ("correction2", .float(correction2))])
    }
}
