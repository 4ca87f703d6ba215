// upfirdn2d: the official resampling primitive (up-sample, pad, FIR filter, down-sample).

extension Tensor {
    /// `upfirdn2d` of this `[N, C, H, W]` tensor with a 2-D `filter` `[fh, fw]` (a buffer: no
    /// gradient flows to it). Differentiable; its gradient is the adjoint, `upfirdn2dAdjoint`.
    public func upfirdn2d(filter: Tensor, _ p: UpFirDn2dParameters) throws -> Tensor {
        try checkDevice(filter, op: "upfirdn2d")
        guard rank == 4, filter.rank == 2 else {
            throw TensorError.shapeMismatch(op: "upfirdn2d", shapes: [shape, filter.shape], reason: "must be of rank 4 (NCHW) and 2 (filter)")
        }
        guard p.up.y >= 1, p.up.x >= 1, p.down.y >= 1, p.down.x >= 1 else {
            throw TensorError.invalidArgument(op: "upfirdn2d", reason: "up \(p.up) and down \(p.down) must be at least 1")
        }
        let (oh, ow) = p.outputSize(height: shape[2], width: shape[3], filterHeight: filter.shape[0], filterWidth: filter.shape[1])
        guard oh >= 1, ow >= 1 else {
            throw TensorError.shapeMismatch(op: "upfirdn2d", shapes: [shape, filter.shape], reason: "leave no output with padding \(p.padding)")
        }
        let result = try device.backend.upfirdn2d(storage, shape: shape, filter: filter.storage, filterShape: filter.shape, p)
        let outShape = [shape[0], shape[1], oh, ow]
        return Tensor(storage: result, shape: outShape, device: device).recorded("upfirdn2d", [self]) { g, _ in
            [try g.upfirdn2dAdjoint(filter: filter, p, inputShape: self.shape)]
        }
    }

    /// The adjoint (transpose) of `upfirdn2d` with the same filter and parameters, from an output
    /// gradient to `inputShape`. Its own gradient is `upfirdn2d`.
    public func upfirdn2dAdjoint(filter: Tensor, _ p: UpFirDn2dParameters, inputShape: [Int]) throws -> Tensor {
        try checkDevice(filter, op: "upfirdn2dAdjoint")
        let result = try device.backend.upfirdn2dAdjoint(storage, shape: shape, filter: filter.storage,
                                                         filterShape: filter.shape, p, inputShape: inputShape)
        return Tensor(storage: result, shape: inputShape, device: device).recorded("upfirdn2dAdjoint", [self]) { u, _ in
            [try u.upfirdn2d(filter: filter, p)]
        }
    }
}
