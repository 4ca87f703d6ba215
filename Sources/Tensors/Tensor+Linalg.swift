// Matrix products and convolution.

extension Tensor {
    /// The matrix product over the last two dimensions, `[..., M, K] · [..., K, N]`; a rank-2
    /// operand is shared by every batch. `transposeSelf` / `transposeOther` read an operand's
    /// last two dimensions swapped, without a copy.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) throws -> Tensor {
        try checkDevice(other, op: "matmul")
        guard (2...3).contains(rank), (2...3).contains(other.rank) else {
            throw TensorError.shapeMismatch(op: "matmul", shapes: [shape, other.shape], reason: "must be of rank 2 or 3")
        }
        func layout(_ t: Tensor, transposed: Bool) -> (rows: Int, columns: Int, batch: Int, layout: MatrixLayout) {
            let r = t.shape[t.rank - 2], c = t.shape[t.rank - 1]
            let batch = t.rank == 3 ? t.shape[0] : 1
            let batchStride = t.rank == 3 ? r * c : 0
            return transposed
                ? (c, r, batch, MatrixLayout(batchStride: batchStride, rowStride: 1, columnStride: c))
                : (r, c, batch, MatrixLayout(batchStride: batchStride, rowStride: c, columnStride: 1))
        }
        let a = layout(self, transposed: transposeSelf), b = layout(other, transposed: transposeOther)
        guard a.columns == b.rows, a.batch == b.batch || rank == 2 || other.rank == 2 else {
            throw TensorError.shapeMismatch(
                op: "matmul", shapes: [shape, other.shape],
                reason: "do not multiply (transposeSelf \(transposeSelf), transposeOther \(transposeOther))")
        }
        let batch = Swift.max(a.batch, b.batch)
        let result = try device.backend.matmul(storage, a.layout, other.storage, b.layout,
                                               batch: batch, m: a.rows, n: b.columns, k: a.columns)
        let outShape = (rank == 3 || other.rank == 3) ? [batch, a.rows, b.columns] : [a.rows, b.columns]
        return Tensor(storage: result, shape: outShape, device: device).recorded("matmul", [self, other]) { g, _ in
            let (tA, tB) = (transposeSelf, transposeOther)
            // op(A)·op(B) = C: d op(A) = g·op(B)ᵀ and d op(B) = op(A)ᵀ·g, transposed back where op transposes.
            let gradA = self.needsGradient
                ? try (tA ? other.matmul(g, transposeSelf: tB, transposeOther: true)
                          : g.matmul(other, transposeOther: !tB)).sum(toShape: self.shape)
                : nil
            let gradB = other.needsGradient
                ? try (tB ? g.matmul(self, transposeSelf: true, transposeOther: tA)
                          : self.matmul(g, transposeSelf: !tA)).sum(toShape: other.shape)
                : nil
            return [gradA, gradB]
        }
    }

    /// 2-D cross-correlation (like `F.conv2d`) of this `[N, C, H, W]` tensor with `weight`
    /// `[O, C/groups, KH, KW]`, giving `[N, O, OH, OW]`.
    public func conv2d(_ weight: Tensor, stride: (y: Int, x: Int) = (1, 1), padding: (y: Int, x: Int) = (0, 0),
                       groups: Int = 1) throws -> Tensor {
        try checkDevice(weight, op: "conv2d")
        let p = Conv2dParameters(stride: stride, padding: padding, groups: groups)
        guard rank == 4, weight.rank == 4 else {
            throw TensorError.shapeMismatch(op: "conv2d", shapes: [shape, weight.shape], reason: "must both be of rank 4 (NCHW and OIHW)")
        }
        guard groups >= 1, stride.y >= 1, stride.x >= 1, padding.y >= 0, padding.x >= 0 else {
            throw TensorError.invalidArgument(op: "conv2d", reason: "stride \(stride), padding \(padding), groups \(groups) out of range")
        }
        guard shape[1] == weight.shape[1] * groups, weight.shape[0] % groups == 0 else {
            throw TensorError.shapeMismatch(
                op: "conv2d", shapes: [shape, weight.shape], reason: "do not agree on channels with \(groups) group(s)")
        }
        let (oh, ow) = p.outputSize(height: shape[2], width: shape[3], kernelHeight: weight.shape[2], kernelWidth: weight.shape[3])
        guard oh >= 1, ow >= 1 else {
            throw TensorError.shapeMismatch(op: "conv2d", shapes: [shape, weight.shape], reason: "leave no output with padding \(padding)")
        }
        let result = try device.backend.conv2d(storage, shape: shape, weight.storage, shape: weight.shape, p)
        return Tensor(storage: result, shape: [shape[0], weight.shape[0], oh, ow], device: device)
            .recorded("conv2d", [self, weight]) { g, _ in
                [self.needsGradient ? try g.conv2dBackwardInput(weight, p, inputShape: self.shape) : nil,
                 weight.needsGradient ? try self.conv2dBackwardWeight(g, p, weightShape: weight.shape) : nil]
            }
    }

    /// The gradient of `conv2d` with respect to its input, for this output gradient `[N, O, OH, OW]`:
    /// a transposed convolution with `weight`, giving `inputShape`. Differentiable in both operands.
    public func conv2dBackwardInput(_ weight: Tensor, _ p: Conv2dParameters, inputShape: [Int]) throws -> Tensor {
        try checkDevice(weight, op: "conv2dBackwardInput")
        try Tensor.checkConvGradient("conv2dBackwardInput", input: inputShape, weight: weight.shape, output: shape, p)
        let result = try device.backend.conv2dBackwardInput(storage, shape: shape, weight.storage, shape: weight.shape, p,
                                                            inputShape: inputShape)
        return Tensor(storage: result, shape: inputShape, device: device)
            .recorded("conv2dBackwardInput", [self, weight]) { u, _ in
                // Linear in both: <u, convᵀ(g, w)> = <conv(u, w), g>.
                [self.needsGradient ? try u.conv2d(weight, stride: p.stride, padding: p.padding, groups: p.groups) : nil,
                 weight.needsGradient ? try u.conv2dBackwardWeight(self, p, weightShape: weight.shape) : nil]
            }
    }

    /// The gradient of `conv2d` with respect to its weight, for this input and the output
    /// gradient `g`. Differentiable in both operands.
    public func conv2dBackwardWeight(_ g: Tensor, _ p: Conv2dParameters, weightShape: [Int]) throws -> Tensor {
        try checkDevice(g, op: "conv2dBackwardWeight")
        try Tensor.checkConvGradient("conv2dBackwardWeight", input: shape, weight: weightShape, output: g.shape, p)
        let result = try device.backend.conv2dBackwardWeight(storage, shape: shape, g.storage, shape: g.shape, p,
                                                             weightShape: weightShape)
        return Tensor(storage: result, shape: weightShape, device: device)
            .recorded("conv2dBackwardWeight", [self, g]) { v, _ in
                // Linear in both: <v, dW(x, g)> = <conv(x, v), g>.
                [self.needsGradient ? try g.conv2dBackwardInput(v, p, inputShape: self.shape) : nil,
                 g.needsGradient ? try self.conv2d(v, stride: p.stride, padding: p.padding, groups: p.groups) : nil]
            }
    }
}

extension Tensor {
    /// Throws unless `input` convolved with `weight` under `p` gives `output` (the shapes of a
    /// convolution gradient).
    static func checkConvGradient(_ op: String, input: [Int], weight: [Int], output: [Int], _ p: Conv2dParameters) throws {
        guard input.count == 4, weight.count == 4, output.count == 4, p.groups >= 1, p.stride.y >= 1, p.stride.x >= 1,
              input[1] == weight[1] * p.groups, weight[0] % p.groups == 0, output[0] == input[0], output[1] == weight[0]
        else {
            throw TensorError.shapeMismatch(op: op, shapes: [input, weight, output],
                                            reason: "are not the input, weight and output of a convolution with \(p.groups) group(s)")
        }
        let (oh, ow) = p.outputSize(height: input[2], width: input[3], kernelHeight: weight[2], kernelWidth: weight[3])
        guard oh == output[2], ow == output[3] else {
            throw TensorError.shapeMismatch(op: op, shapes: [input, weight, output],
                                            reason: "disagree: stride \(p.stride) and padding \(p.padding) give \(oh)x\(ow) outputs")
        }
    }
}
