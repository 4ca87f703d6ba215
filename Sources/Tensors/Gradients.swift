// Backward formulas of the elementwise ops, written in differentiable Tensor ops so that
// gradients of gradients work. `g` is the gradient of the output `y`.

extension UnaryOp {
    /// The gradient with respect to `x` of `y = op(x, p0, p1)`; nil where it is zero.
    func gradient(x: Tensor, y: Tensor, g: Tensor, _ p0: Double, _ p1: Double) throws -> Tensor? {
        switch self {
        case .neg: return try -g
        case .exp: return try g * y
        case .log: return try g / x
        case .sqrt: return try g / y * 0.5
        case .rsqrt: return try g * y.square() * y * -0.5
        case .abs: return try g * (x.step() - x.neg().step())
        case .square: return try g * x * 2.0
        case .reciprocal: return try -(g * y.square())
        case .tanh: return try g * (1.0 - y.square())
        case .sigmoid: return try g * y * (1.0 - y)
        case .relu: return try g * x.step()
        case .leakyRelu: return try g * x.step().affine(scale: 1 - p0, shift: p0)
        case .step: return nil
        case .affine: return try g * p0
        case .pow: return try g * x.pow(p0 - 1) * p0
        case .clamp: return try g * (1.0 - (p0 - x).step()) * (1.0 - (x - p1).step())
        case .softplus: return try g * x.sigmoid()
        case .nanToNum: return g
        }
    }
}

extension BinaryOp {
    /// The gradients with respect to `a` and `b` of `y = op(a, b)`, summed over broadcast dimensions.
    func gradients(a: Tensor, b: Tensor, y: Tensor, g: Tensor) throws -> [Tensor?] {
        func reduce(_ grad: () throws -> Tensor?, to t: Tensor) throws -> Tensor? {
            guard t.needsGradient, let value = try grad() else { return nil }
            return try value.sum(toShape: t.shape)
        }
        switch self {
        case .add:
            return [try reduce({ g }, to: a), try reduce({ g }, to: b)]
        case .sub:
            return [try reduce({ g }, to: a), try reduce({ try -g }, to: b)]
        case .mul:
            return [try reduce({ try g * b }, to: a), try reduce({ try g * a }, to: b)]
        case .div:
            return [try reduce({ try g / b }, to: a), try reduce({ try -(g * y / b) }, to: b)]
        case .maximum, .minimum:
            // Where a wins (ties go to b), the gradient flows to a.
            let aWins = self == .maximum ? try a.greater(b) : try b.greater(a)
            return [try reduce({ try g * aWins }, to: a), try reduce({ try g * (1.0 - aWins) }, to: b)]
        case .pow:
            return [try reduce({ try g * b * a.pow(b - 1.0) }, to: a), try reduce({ try g * y * a.log() }, to: b)]
        case .greater:
            return [nil, nil]
        }
    }
}

extension Tensor {
    /// Sums this tensor down to `target`, a shape that broadcasts to this one: the gradient
    /// of a broadcast.
    public func sum(toShape target: [Int]) throws -> Tensor {
        if shape == target { return self }
        guard Shape.broadcast(target, shape) == shape else {
            throw TensorError.shapeMismatch(op: "sum(toShape:)", shapes: [shape, target], reason: "the second does not broadcast to the first")
        }
        let lead = rank - target.count
        let axes = (0..<rank).filter { $0 < lead || (target[$0 - lead] == 1 && shape[$0] != 1) }
        if axes.isEmpty { return try reshape(target) }
        return try sum(axes: axes, keepDims: true).reshape(target)
    }
}
