/// A trainable tensor: gradients are taken with respect to `value`, and optimizers update it in place.
public final class Parameter {
    /// The official name (`mapping.fc0.weight`).
    public let name: String
    /// A leaf that requires gradients.
    public private(set) var value: Tensor

    public init(_ name: String, _ value: Tensor) {
        self.name = name
        self.value = value.requiringGrad()
    }

    /// Replaces the value (loading weights); the shape must stay the same.
    public func assign(_ tensor: Tensor) throws {
        guard tensor.shape == value.shape else {
            throw TensorError.shapeMismatch(op: "Parameter.assign \(name)", shapes: [value.shape, tensor.shape], reason: "differ")
        }
        value = tensor.requiringGrad()
    }

    public var shape: [Int] { value.shape }
}

/// A non-trainable tensor that belongs to a network (`w_avg`, `noise_const`, `resample_filter`).
/// No gradients flow to it; it may be replaced (`w_avg` tracking).
public final class Buffer {
    public let name: String
    public var value: Tensor

    public init(_ name: String, _ value: Tensor) {
        self.name = name
        self.value = value.detached()
    }

    public var shape: [Int] { value.shape }
}

/// Adam (PyTorch's formulation), updating parameters in place on their device.
public final class Adam {
    public let parameters: [Parameter]
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    /// Steps taken so far.
    public private(set) var step = 0
    /// First and second moments, one pair per parameter.
    public private(set) var moments: [(m: Tensor, v: Tensor)]

    public init(_ parameters: [Parameter], learningRate: Double, beta1: Double = 0, beta2: Double = 0.99,
                epsilon: Double = 1e-8) throws {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        moments = try parameters.map { p in
            (try Tensor.zeros(p.shape, dtype: p.value.dtype, on: p.value.device),
             try Tensor.zeros(p.shape, dtype: p.value.dtype, on: p.value.device))
        }
    }

    /// Restores the state of a saved optimizer: its step count and moments.
    public func restore(step: Int, moments: [(m: Tensor, v: Tensor)]) throws {
        guard moments.count == parameters.count, zip(moments, parameters).allSatisfy({ $0.m.shape == $1.shape && $0.v.shape == $1.shape }) else {
            throw TensorError.invalidArgument(op: "Adam.restore", reason: "\(moments.count) moment pairs do not match \(parameters.count) parameters' shapes")
        }
        self.step = step
        self.moments = moments
    }

    /// Applies one step with `gradients`, one per parameter, in the parameters' order.
    public func update(_ gradients: [Tensor]) throws {
        guard gradients.count == parameters.count else {
            throw TensorError.invalidArgument(op: "Adam.update", reason: "\(gradients.count) gradients for \(parameters.count) parameters")
        }
        for (p, g) in zip(parameters, gradients) {
            try p.value.checkDevice(g, op: "Adam.update")
            guard p.shape == g.shape else {
                throw TensorError.shapeMismatch(op: "Adam.update \(p.name)", shapes: [p.shape, g.shape], reason: "differ (parameter and gradient)")
            }
        }
        step += 1
        let hyper = AdamStep(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, step: step)
        for (i, p) in parameters.enumerated() {
            try p.value.device.backend.adamStep(parameter: p.value.storage, gradient: gradients[i].storage,
                                                m: moments[i].m.storage, v: moments[i].v.storage, hyper)
        }
    }
}
