// The image operations of the ADA augmentation pipeline: reflect padding, affine grid sampling,
// a per-sample colour matrix and a per-sample FIR filter. Each is linear in the image (the matrix,
// grid and filter are constants of the draw, not differentiated), so each one's gradient is its
// adjoint and the adjoint's gradient is the op again: gradients of any order (R1 through the
// augmented reals) use the same kernels.

/// Padding before and after, in the official order: x0, x1, y0, y1.
public typealias Padding2d = (x0: Int, x1: Int, y0: Int, y1: Int)

extension Tensor {
    func checkImage(_ op: String) throws {
        guard rank == 4 else { throw TensorError.shapeMismatch(op: op, shapes: [shape], reason: "must be of rank 4 (NCHW)") }
    }

    /// `F.pad(x, [x0, x1, y0, y1], mode='reflect')` of this `[N, C, H, W]` tensor. Each pad must be
    /// smaller than its dimension (torch's rule). Differentiable.
    public func padReflect(_ padding: Padding2d) throws -> Tensor {
        try checkImage("padReflect")
        let (h, w) = (shape[2], shape[3])
        guard [padding.x0, padding.x1, padding.y0, padding.y1].allSatisfy({ $0 >= 0 }),
              padding.x0 < w, padding.x1 < w, padding.y0 < h, padding.y1 < h else {
            throw TensorError.invalidArgument(
                op: "padReflect", reason: "padding \(padding) of shape \(shape): each pad must be in 0..<its dimension")
        }
        let outShape = [shape[0], shape[1], h + padding.y0 + padding.y1, w + padding.x0 + padding.x1]
        let result = try device.backend.padReflect(storage, shape: shape, padding: padding)
        return Tensor(storage: result, shape: outShape, device: device).recorded("padReflect", [self]) { g, _ in
            [try g.padReflectAdjoint(padding, inputShape: self.shape)]
        }
    }

    /// The adjoint of `padReflect` (each input element sums the padded elements that copy it).
    public func padReflectAdjoint(_ padding: Padding2d, inputShape: [Int]) throws -> Tensor {
        try checkImage("padReflectAdjoint")
        guard inputShape.count == 4, shape == [inputShape[0], inputShape[1], inputShape[2] + padding.y0 + padding.y1,
                                                inputShape[3] + padding.x0 + padding.x1] else {
            throw TensorError.shapeMismatch(op: "padReflectAdjoint", shapes: [shape, inputShape], reason: "do not differ by padding \(padding)")
        }
        let result = try device.backend.padReflectAdjoint(storage, shape: shape, padding: padding, inputShape: inputShape)
        return Tensor(storage: result, shape: inputShape, device: device).recorded("padReflectAdjoint", [self]) { g, _ in
            [try g.padReflect(padding)]
        }
    }

    /// `F.grid_sample(x, F.affine_grid(theta, [N, C, OH, OW], align_corners=False), mode='bilinear',
    /// padding_mode='zeros', align_corners=False)` of this `[N, C, H, W]` tensor, with `theta`
    /// `[N, 2, 3]` (a constant: no gradient flows to it). Differentiable in the image.
    public func affineGridSample(theta: Tensor, outputSize: (height: Int, width: Int)) throws -> Tensor {
        try checkImage("affineGridSample")
        try checkDevice(theta, op: "affineGridSample")
        guard theta.shape == [shape[0], 2, 3], outputSize.height >= 1, outputSize.width >= 1 else {
            throw TensorError.shapeMismatch(op: "affineGridSample", shapes: [shape, theta.shape],
                                            reason: "need theta [N, 2, 3] and an output of at least 1×1 (asked \(outputSize))")
        }
        let result = try device.backend.affineGridSample(storage, shape: shape, theta: theta.storage, outputSize: outputSize)
        let outShape = [shape[0], shape[1], outputSize.height, outputSize.width]
        return Tensor(storage: result, shape: outShape, device: device).recorded("affineGridSample", [self]) { g, _ in
            [try g.affineGridSampleAdjoint(theta: theta, inputShape: self.shape)]
        }
    }

    /// The adjoint of `affineGridSample` with respect to the image: from an output-shaped tensor to `inputShape`.
    public func affineGridSampleAdjoint(theta: Tensor, inputShape: [Int]) throws -> Tensor {
        try checkImage("affineGridSampleAdjoint")
        try checkDevice(theta, op: "affineGridSampleAdjoint")
        guard inputShape.count == 4, inputShape[0] == shape[0], inputShape[1] == shape[1], theta.shape == [shape[0], 2, 3] else {
            throw TensorError.shapeMismatch(op: "affineGridSampleAdjoint", shapes: [shape, inputShape, theta.shape],
                                            reason: "need the same N and C, and theta [N, 2, 3]")
        }
        let result = try device.backend.affineGridSampleAdjoint(storage, shape: shape, theta: theta.storage, inputShape: inputShape)
        let outputSize = (shape[2], shape[3])
        return Tensor(storage: result, shape: inputShape, device: device).recorded("affineGridSampleAdjoint", [self]) { g, _ in
            [try g.affineGridSample(theta: theta, outputSize: outputSize)]
        }
    }

    /// The per-sample affine colour transform `out[n] = M[n, :, :C] · x[n] + M[n, :, C]` of this
    /// `[N, C, H, W]` tensor, with `matrix` `[N, C, C + 1]` (a constant). Differentiable in the image;
    /// the gradient is this op with the transposed matrix and no offset.
    public func colorMatrix(_ matrix: Tensor) throws -> Tensor {
        try checkImage("colorMatrix")
        try checkDevice(matrix, op: "colorMatrix")
        let (n, c) = (shape[0], shape[1])
        guard matrix.shape == [n, c, c + 1] else {
            throw TensorError.shapeMismatch(op: "colorMatrix", shapes: [shape, matrix.shape], reason: "need a matrix [N, C, C + 1]")
        }
        let result = try device.backend.colorMatrix(storage, shape: shape, matrix: matrix.storage)
        return Tensor(storage: result, shape: shape, device: device).recorded("colorMatrix", [self]) { g, _ in
            let adjoint = try GradMode.disabled {
                try Tensor.concat([matrix.slice(axis: 2, 0..<c).transpose(1, 2), Tensor.zeros([n, c, 1], dtype: matrix.dtype, on: matrix.device)],
                                  axis: 2)
            }
            return [try g.colorMatrix(adjoint)]
        }
    }

    /// A valid correlation of this `[N, C, H, W]` tensor along `axis` (3: x, 2: y) with sample n's
    /// filter `taps[n]` (`taps` `[N, T]`, a constant), as the official image-space filter's grouped
    /// `conv2d`. The result is T − 1 shorter along `axis`. Differentiable in the image.
    public func sampleFIR(taps: Tensor, axis: Int) throws -> Tensor {
        try checkImage("sampleFIR")
        try checkDevice(taps, op: "sampleFIR")
        guard axis == 2 || axis == 3, taps.rank == 2, taps.shape[0] == shape[0], taps.shape[1] >= 1, taps.shape[1] <= shape[axis] else {
            throw TensorError.shapeMismatch(op: "sampleFIR", shapes: [shape, taps.shape],
                                            reason: "need taps [N, T] with T at most the size of axis \(axis) (2 or 3)")
        }
        var outShape = shape
        outShape[axis] -= taps.shape[1] - 1
        let result = try device.backend.sampleFIR(storage, shape: shape, taps: taps.storage, tapCount: taps.shape[1], axis: axis)
        return Tensor(storage: result, shape: outShape, device: device).recorded("sampleFIR", [self]) { g, _ in
            [try g.sampleFIRAdjoint(taps: taps, axis: axis, inputShape: self.shape)]
        }
    }

    /// The adjoint of `sampleFIR`: from its output shape to `inputShape`.
    public func sampleFIRAdjoint(taps: Tensor, axis: Int, inputShape: [Int]) throws -> Tensor {
        try checkImage("sampleFIRAdjoint")
        try checkDevice(taps, op: "sampleFIRAdjoint")
        var expected = inputShape
        if inputShape.count == 4, axis == 2 || axis == 3, taps.rank == 2 { expected[axis] -= taps.shape[1] - 1 }
        guard axis == 2 || axis == 3, taps.rank == 2, taps.shape[0] == shape[0], expected == shape else {
            throw TensorError.shapeMismatch(op: "sampleFIRAdjoint", shapes: [shape, taps.shape, inputShape],
                                            reason: "are not a sampleFIR output, its taps and its input along axis \(axis)")
        }
        let result = try device.backend.sampleFIRAdjoint(storage, shape: shape, taps: taps.storage, tapCount: taps.shape[1],
                                                         axis: axis, inputShape: inputShape)
        return Tensor(storage: result, shape: inputShape, device: device).recorded("sampleFIRAdjoint", [self]) { g, _ in
            [try g.sampleFIR(taps: taps, axis: axis)]
        }
    }
}
