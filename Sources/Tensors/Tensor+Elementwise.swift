// Elementwise ops: one operand, two operands with broadcasting, and scalar forms.

extension Tensor {
    /// `op` applied to every element, with scalar parameters `p0` and `p1` (see `UnaryOp`).
    public func unary(_ op: UnaryOp, _ p0: Double = 0, _ p1: Double = 0) throws -> Tensor {
        Tensor(storage: try device.backend.unary(op, storage, p0: p0, p1: p1), shape: shape, device: device)
            .recorded(op.rawValue, [self]) { g, y in [try op.gradient(x: self, y: y, g: g, p0, p1)] }
    }

    public func neg() throws -> Tensor { try unary(.neg) }
    public func exp() throws -> Tensor { try unary(.exp) }
    public func log() throws -> Tensor { try unary(.log) }
    public func sqrt() throws -> Tensor { try unary(.sqrt) }
    public func rsqrt() throws -> Tensor { try unary(.rsqrt) }
    public func abs() throws -> Tensor { try unary(.abs) }
    public func square() throws -> Tensor { try unary(.square) }
    public func reciprocal() throws -> Tensor { try unary(.reciprocal) }
    public func tanh() throws -> Tensor { try unary(.tanh) }
    public func sigmoid() throws -> Tensor { try unary(.sigmoid) }
    public func relu() throws -> Tensor { try unary(.relu) }
    /// `x > 0 ? x : alpha * x`.
    public func leakyRelu(alpha: Double = 0.2) throws -> Tensor { try unary(.leakyRelu, alpha) }
    /// `x > 0 ? 1 : 0`.
    public func step() throws -> Tensor { try unary(.step) }
    /// `x * scale + shift`.
    public func affine(scale: Double, shift: Double = 0) throws -> Tensor { try unary(.affine, scale, shift) }
    public func pow(_ exponent: Double) throws -> Tensor { try unary(.pow, exponent) }
    public func clamp(min: Double, max: Double) throws -> Tensor { try unary(.clamp, min, max) }
    /// NaN → 0 and ±∞ → ±`limit`, finite values unchanged (the official `nan_to_num` of gradients).
    public func nanToNum(limit: Double = 1e5) throws -> Tensor { try unary(.nanToNum, limit) }
    /// `log(1 + exp(x))`, computed without overflow.
    public func softplus() throws -> Tensor { try unary(.softplus) }

    /// `self + (other - self) * t`: linear interpolation (EMA, w_avg tracking, truncation).
    public func lerp(_ other: Tensor, _ t: Double) throws -> Tensor { try self + (other - self) * t }

    /// `op(self, other)` elementwise, broadcasting both to a common shape (NumPy rules).
    public func binary(_ op: BinaryOp, _ other: Tensor) throws -> Tensor {
        try checkDevice(other, op: op.rawValue)
        guard let shape = Shape.broadcast(self.shape, other.shape) else {
            throw TensorError.shapeMismatch(op: op.rawValue, shapes: [self.shape, other.shape], reason: "do not broadcast")
        }
        let result = try device.backend.binary(
            op, storage, strides: Shape.broadcastStrides(self.shape, to: shape),
            other.storage, strides: Shape.broadcastStrides(other.shape, to: shape), shape: shape)
        return Tensor(storage: result, shape: shape, device: device)
            .recorded(op.rawValue, [self, other]) { g, y in try op.gradients(a: self, b: other, y: y, g: g) }
    }

    public func maximum(_ other: Tensor) throws -> Tensor { try binary(.maximum, other) }
    public func minimum(_ other: Tensor) throws -> Tensor { try binary(.minimum, other) }
    public func pow(_ other: Tensor) throws -> Tensor { try binary(.pow, other) }
    /// 1 where `self > other`, else 0.
    public func greater(_ other: Tensor) throws -> Tensor { try binary(.greater, other) }

    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.add, b) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.sub, b) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.mul, b) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.div, b) }
    public static prefix func - (a: Tensor) throws -> Tensor { try a.neg() }

    public static func + (a: Tensor, s: Double) throws -> Tensor { try a.affine(scale: 1, shift: s) }
    public static func - (a: Tensor, s: Double) throws -> Tensor { try a.affine(scale: 1, shift: -s) }
    public static func * (a: Tensor, s: Double) throws -> Tensor { try a.affine(scale: s) }
    public static func / (a: Tensor, s: Double) throws -> Tensor { try a.affine(scale: 1 / s) }
    public static func + (s: Double, a: Tensor) throws -> Tensor { try a.affine(scale: 1, shift: s) }
    public static func - (s: Double, a: Tensor) throws -> Tensor { try a.affine(scale: -1, shift: s) }
    public static func * (s: Double, a: Tensor) throws -> Tensor { try a.affine(scale: s) }
}
