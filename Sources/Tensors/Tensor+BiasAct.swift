// The fused bias + activation + gain + clamp (official bias_act) and its differentiable gradient.

extension Tensor {
    /// `clamp(act(x + bias) · gain, ±clamp)` with `bias` (shape `[C]`, C = dimension 1) added along
    /// dimension 1. One kernel; its gradient is again one kernel (`biasActGrad`), itself differentiable.
    public func biasAct(bias: Tensor? = nil, _ p: BiasActParameters) throws -> Tensor {
        guard rank >= 2 || bias == nil else {
            throw TensorError.shapeMismatch(op: "biasAct", shapes: [shape], reason: "needs a dimension 1 for the bias")
        }
        if let bias {
            try checkDevice(bias, op: "biasAct")
            guard bias.shape == [shape[1]] else {
                throw TensorError.shapeMismatch(op: "biasAct", shapes: [shape, bias.shape], reason: "need a bias of one value per channel of dimension 1")
            }
        }
        let viewShape = rank >= 2 ? shape : [1, Swift.max(count, 1)]
        let result = try device.backend.biasAct(storage, shape: viewShape, bias: bias?.storage, p)
        let inputs = [self] + (bias.map { [$0] } ?? [])
        return Tensor(storage: result, shape: shape, device: device).recorded("biasAct", inputs) { g, y in
            let dx = try g.biasActGrad(output: y, p)
            let db = try bias.flatMap { bias in
                bias.needsGradient ? try dx.sum(axes: (0..<self.rank).filter { $0 != 1 }) : nil
            }
            return [self.needsGradient ? dx : nil] + (bias == nil ? [] : [db])
        }
    }

    /// `self · act'` for the output `y` of `biasAct` with the same parameters, where `self` is the
    /// gradient of `y`. Linear in `self`; the slope is piecewise constant in `y`, so no gradient flows to `y`.
    public func biasActGrad(output y: Tensor, _ p: BiasActParameters) throws -> Tensor {
        try checkDevice(y, op: "biasActGrad")
        guard y.shape == shape else {
            throw TensorError.shapeMismatch(op: "biasActGrad", shapes: [shape, y.shape], reason: "differ (gradient and output)")
        }
        let result = try device.backend.biasActGrad(storage, output: y.storage, p)
        return Tensor(storage: result, shape: shape, device: device).recorded("biasActGrad", [self, y]) { u, _ in
            [try u.biasActGrad(output: y, p), nil]
        }
    }
}
