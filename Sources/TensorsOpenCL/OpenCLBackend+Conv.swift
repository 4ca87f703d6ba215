import OpenCLRuntime
import Tensors

extension ConvGeometry {
    /// Images per chunk, so that a chunk's buffers (`elementsPerImage` each image, by default one
    /// im2col matrix) stay under `limit` elements.
    func chunk(limit: Int, elementsPerImage: Int? = nil) -> Int {
        max(1, min(batch, limit / max(1, elementsPerImage ?? rows * spatial)))
    }

    /// Weight of group g as an `O/groups × rowsPerGroup` matrix (shared by every image).
    func weight(group g: Int) -> MatrixLayout {
        MatrixLayout(offset: g * outPerGroup * rowsPerGroup, batchStride: 0, rowStride: rowsPerGroup, columnStride: 1)
    }
}

extension OpenCLBackend {
    /// Convolution as im2col followed by one batched matmul per group (im2col writing the panels of
    /// `matmul_panels_f32` when a group has 16 or more output channels); a 1×1 convolution with
    /// stride 1 and no padding multiplies the input directly.
    public func conv2d(_ x: Storage, shape xShape: [Int], _ w: Storage, shape wShape: [Int],
                       _ p: Conv2dParameters) throws -> Storage {
        let c = ConvGeometry(input: xShape, weight: wShape, p)
        let chunk = c.chunk(limit: im2colLimit)
        let out = try allocate(count: c.batch * c.outChannels * c.spatial, dtype: x.dtype)
        let (outMem, weight, input) = (storage(out).mem, storage(w).mem, storage(x).mem)

        if c.isPointwise {
            for g in 0..<p.groups {
                let image = MatrixLayout(offset: g * c.groupChannels * c.spatial, batchStride: c.channels * c.spatial,
                                         rowStride: c.spatial, columnStride: 1)
                try matmul(into: outMem, offset: g * c.outPerGroup * c.spatial, batchStride: c.outChannels * c.spatial,
                           weight, c.weight(group: g), input, image,
                           batch: c.batch, m: c.outPerGroup, n: c.spatial, k: c.rowsPerGroup)
            }
            return out
        }
        if let plan = winogradPlan(c) { return try conv2dWinograd(x, w, c, plan) }

        if isCPU && c.outPerGroup >= Self.panelMinimumRows {
            // im2col straight into the matmul's panels: one pass over the input, no repacking.
            let panels = (c.spatial + panelWidth - 1) / panelWidth
            let panelBuffer = try allocate(count: chunk * panels * c.rows * panelWidth, dtype: x.dtype)
            let panelMem = storage(panelBuffer).mem
            for start in stride(from: 0, to: c.batch, by: chunk) {
                let count = min(chunk, c.batch - start)
                try im2colF32(.panels, global: [c.rows, panels, count], out: panelMem, x: input, c, start: start, count: count)
                for g in 0..<p.groups {
                    let layout = PanelLayout(offset: g * c.rowsPerGroup * panelWidth,
                                             batchStride: panels * c.rows * panelWidth, panelStride: c.rows * panelWidth)
                    try matmul(into: outMem, offset: (start * c.outChannels + g * c.outPerGroup) * c.spatial,
                               batchStride: c.outChannels * c.spatial, weight, c.weight(group: g), panels: panelMem, layout,
                               batch: count, m: c.outPerGroup, n: c.spatial, k: c.rowsPerGroup)
                }
            }
            return out
        }
        let col = try allocate(count: chunk * c.rows * c.spatial, dtype: x.dtype)
        let colMem = storage(col).mem
        for start in stride(from: 0, to: c.batch, by: chunk) {
            let count = min(chunk, c.batch - start)
            try im2colF32(.im2col, global: [count * c.rows * c.oh], out: colMem, x: input, c, start: start, count: count)
            for g in 0..<p.groups {
                let image = MatrixLayout(offset: g * c.rowsPerGroup * c.spatial, batchStride: c.rows * c.spatial,
                                         rowStride: c.spatial, columnStride: 1)
                try matmul(into: outMem, offset: (start * c.outChannels + g * c.outPerGroup) * c.spatial,
                           batchStride: c.outChannels * c.spatial, weight, c.weight(group: g), colMem, image,
                           batch: count, m: c.outPerGroup, n: c.spatial, k: c.rowsPerGroup)
            }
        }
        return out
    }

    /// The input gradient (a transposed convolution). With stride 1 (and padding below the kernel
    /// size) a convolution of g with flipped weights; otherwise `col = Wᵀ·g` per group, then col2im.
    public func conv2dBackwardInput(_ g: Storage, shape gShape: [Int], _ w: Storage, shape wShape: [Int],
                                    _ p: Conv2dParameters, inputShape: [Int]) throws -> Storage {
        let c = ConvGeometry(input: inputShape, weight: wShape, p)
        if p.stride == (1, 1) && p.padding.y < c.kh && p.padding.x < c.kw {
            return try conv2dBackwardInputAsConvolution(g, shape: gShape, w, c)
        }
        let dx = try allocate(count: Shape.count(inputShape), dtype: g.dtype)
        let chunk = c.chunk(limit: im2colLimit)
        // Wᵀ per group, made contiguous once so that the matmul reads its rows in order.
        let transposed = try allocate(count: w.count, dtype: w.dtype)
        for group in 0..<p.groups {
            let offset = group * c.outPerGroup * c.rowsPerGroup
            try copy(w, offset: offset, strides: [1, c.rowsPerGroup], shape: [c.rowsPerGroup, c.outPerGroup],
                     into: transposed, outOffset: offset, outStrides: [c.outPerGroup, 1])
        }
        let (dxMem, weight, grad) = (storage(dx).mem, storage(transposed).mem, storage(g).mem)
        let col = try allocate(count: chunk * c.rows * c.spatial, dtype: g.dtype)
        let colMem = storage(col).mem
        for start in stride(from: 0, to: c.batch, by: chunk) {
            let count = min(chunk, c.batch - start)
            for group in 0..<p.groups {
                let gradImage = MatrixLayout(offset: (start * c.outChannels + group * c.outPerGroup) * c.spatial,
                                             batchStride: c.outChannels * c.spatial, rowStride: c.spatial, columnStride: 1)
                let weightT = MatrixLayout(offset: group * c.outPerGroup * c.rowsPerGroup, batchStride: 0,
                                           rowStride: c.outPerGroup, columnStride: 1)
                try matmul(into: colMem, offset: group * c.rowsPerGroup * c.spatial, batchStride: c.rows * c.spatial,
                           weight, weightT, grad, gradImage,
                           batch: count, m: c.rowsPerGroup, n: c.spatial, k: c.outPerGroup)
            }
            try col2imF32(global: [count * c.channels * c.height], dx: dxMem, dxOffset: start * c.channels * c.height * c.width,
                          col: colMem, c, count: count)
        }
        return dx
    }

    /// With stride 1 the input gradient is itself a convolution: of g with the weights flipped in
    /// both spatial axes and with input and output channels swapped (per group), padded by
    /// `k - 1 - padding`. im2col then reads each gradient pixel once where col2im gathered `kh·kw`
    /// scattered values per input pixel (col2im was the largest kernel of a training step).
    func conv2dBackwardInputAsConvolution(_ g: Storage, shape gShape: [Int], _ w: Storage, _ c: ConvGeometry) throws -> Storage {
        let (groups, taps) = (c.p.groups, c.kh * c.kw)
        let flipped = try allocate(count: w.count, dtype: w.dtype)
        for group in 0..<groups {
            // flipped[group·Cg + ci][o][ky][kx] = w[group·Og + o][ci][kh-1-ky][kw-1-kx]
            try copy(w, offset: group * c.outPerGroup * c.rowsPerGroup + taps - 1,
                     strides: [taps, c.rowsPerGroup, -c.kw, -1], shape: [c.groupChannels, c.outPerGroup, c.kh, c.kw],
                     into: flipped, outOffset: group * c.groupChannels * c.outPerGroup * taps,
                     outStrides: [c.outPerGroup * taps, taps, c.kw, 1])
        }
        let p = Conv2dParameters(stride: (1, 1), padding: (c.kh - 1 - c.p.padding.y, c.kw - 1 - c.p.padding.x), groups: groups)
        return try conv2d(g, shape: gShape, flipped, shape: [c.channels, c.outPerGroup, c.kh, c.kw], p)
    }

    /// The weight gradient: `dW[group] = g'·col'` with the images folded into the contraction:
    /// g' is g read as `[O, n, p]` and col' is im2col laid out as `[n, p, row]`. With 16 or more
    /// output channels per group, col' is written as panels and g read in place (one column
    /// segment per image); otherwise g is copied permuted and col' packed by the matmul.
    public func conv2dBackwardWeight(_ x: Storage, shape xShape: [Int], _ g: Storage, shape gShape: [Int],
                                     _ p: Conv2dParameters, weightShape: [Int]) throws -> Storage {
        let c = ConvGeometry(input: xShape, weight: weightShape, p)
        if let plan = winogradPlan(c) { return try conv2dBackwardWeightWinograd(x, g, c, plan) }
        let dw = try allocate(count: Shape.count(weightShape), dtype: x.dtype)
        let dwMem = storage(dw).mem
        let chunk = c.chunk(limit: im2colLimit)
        if isCPU && c.outPerGroup >= Self.panelMinimumRows {
            // im2col straight into panels over each group's rows, and g read in place as O rows
            // of one segment per image: no permuted copy of g, no repacking.
            let panels = (c.rowsPerGroup + panelWidth - 1) / panelWidth
            let panelBuffer = try allocate(count: p.groups * panels * panelWidth * chunk * c.spatial, dtype: x.dtype)
            let panelMem = storage(panelBuffer).mem
            for start in stride(from: 0, to: c.batch, by: chunk) {
                let count = min(chunk, c.batch - start)
                let k = count * c.spatial
                try im2colF32(.transposedPanels, global: [k, panels, p.groups], out: panelMem, x: storage(x).mem, c,
                              start: start, count: count)
                for group in 0..<p.groups {
                    let gradRows = MatrixLayout(offset: (start * c.outChannels + group * c.outPerGroup) * c.spatial,
                                                batchStride: 0, rowStride: c.spatial, columnStride: 1)
                    let layout = PanelLayout(offset: group * panels * k * panelWidth, batchStride: 0,
                                             panelStride: k * panelWidth)
                    try matmul(into: dwMem, offset: group * c.outPerGroup * c.rowsPerGroup, batchStride: 0,
                               storage(g).mem, gradRows, panels: panelMem, layout, batch: 1, m: c.outPerGroup,
                               n: c.rowsPerGroup, k: k, segments: (c.spatial, c.outChannels * c.spatial), accumulate: start > 0)
                }
            }
            return dw
        }
        let col = try allocate(count: chunk * c.rows * c.spatial, dtype: x.dtype)
        let permuted = try allocate(count: chunk * c.outChannels * c.spatial, dtype: x.dtype)
        let (colMem, permutedMem) = (storage(col).mem, storage(permuted).mem)
        for start in stride(from: 0, to: c.batch, by: chunk) {
            let count = min(chunk, c.batch - start)
            let k = count * c.spatial
            try im2colF32(.transposed, global: [count * c.spatial], out: colMem, x: storage(x).mem, c, start: start, count: count)
            // g[start ..< start+count] as [O, count, spatial].
            try copy(g, offset: start * c.outChannels * c.spatial,
                     strides: [c.spatial, c.outChannels * c.spatial, 1], shape: [c.outChannels, count, c.spatial],
                     into: permuted, outOffset: 0, outStrides: [count * c.spatial, c.spatial, 1])
            for group in 0..<p.groups {
                let gradRows = MatrixLayout(offset: group * c.outPerGroup * k, batchStride: 0, rowStride: k, columnStride: 1)
                let colRows = MatrixLayout(offset: group * c.rowsPerGroup, batchStride: 0, rowStride: c.rows, columnStride: 1)
                try matmul(into: dwMem, offset: group * c.outPerGroup * c.rowsPerGroup, batchStride: 0,
                           permutedMem, gradRows, colMem, colRows,
                           batch: 1, m: c.outPerGroup, n: c.rowsPerGroup, k: k, accumulate: start > 0)
            }
        }
        return dw
    }
}
