import Foundation

/// Elementwise ops of one operand with up to two scalar parameters `p0`, `p1`.
///
/// Each op is declared once: its OpenCL expression (in `x`, `p0`, `p1`; no spaces, it travels
/// in a `-D` build option) and its CPU reference, computed in Double.
public enum UnaryOp: String, CaseIterable, Sendable {
    case neg, exp, log, sqrt, rsqrt, abs, square, reciprocal, tanh, sigmoid
    /// `x > 0 ? x : 0`.
    case relu
    /// `x > 0 ? x : p0 * x`.
    case leakyRelu
    /// `x > 0 ? 1 : 0`, the derivative of relu.
    case step
    /// `x * p0 + p1`.
    case affine
    /// `x ^ p0`.
    case pow
    /// `min(max(x, p0), p1)`.
    case clamp
    /// `log(1 + exp(x))`.
    case softplus
    /// NaN → 0 and ±∞ → ±p0 (the official `nan_to_num` of gradients, with p0 = 1e5).
    case nanToNum

    /// The OpenCL C expression and the CPU reference of this op.
    public var definition: (cl: String, reference: (Double, Double, Double) -> Double) {
        switch self {
        case .neg: return ("(-x)", { x, _, _ in -x })
        case .exp: return ("exp(x)", { x, _, _ in Foundation.exp(x) })
        case .log: return ("log(x)", { x, _, _ in Foundation.log(x) })
        case .sqrt: return ("sqrt(x)", { x, _, _ in x.squareRoot() })
        case .rsqrt: return ("rsqrt(x)", { x, _, _ in 1 / x.squareRoot() })
        case .abs: return ("fabs(x)", { x, _, _ in Swift.abs(x) })
        case .square: return ("(x*x)", { x, _, _ in x * x })
        case .reciprocal: return ("(1.0f/x)", { x, _, _ in 1 / x })
        case .tanh: return ("tanh(x)", { x, _, _ in Foundation.tanh(x) })
        case .sigmoid: return ("(1.0f/(1.0f+exp(-x)))", { x, _, _ in 1 / (1 + Foundation.exp(-x)) })
        case .relu: return ("(x>0.0f?x:0.0f)", { x, _, _ in x > 0 ? x : 0 })
        case .leakyRelu: return ("(x>0.0f?x:x*p0)", { x, p0, _ in x > 0 ? x : x * p0 })
        case .step: return ("(x>0.0f?1.0f:0.0f)", { x, _, _ in x > 0 ? 1 : 0 })
        case .affine: return ("(x*p0+p1)", { x, p0, p1 in x * p0 + p1 })
        case .pow: return ("pow(x,p0)", { x, p0, _ in Foundation.pow(x, p0) })
        case .clamp: return ("fmin(fmax(x,p0),p1)", { x, p0, p1 in Swift.min(Swift.max(x, p0), p1) })
        case .softplus: return ("(x>20.0f?x:log1p(exp(x)))", { x, _, _ in x > 20 ? x : Foundation.log1p(Foundation.exp(x)) })
        case .nanToNum: return ("(isnan(x)?0.0f:(isinf(x)?copysign(p0,x):x))", { x, p0, _ in x.isNaN ? 0 : x.isInfinite ? (x > 0 ? p0 : -p0) : x })
        }
    }
}

/// Elementwise ops of two operands, with broadcasting. Declared like `UnaryOp`, in `a` and `b`.
public enum BinaryOp: String, CaseIterable, Sendable {
    case add, sub, mul, div, maximum, minimum, pow
    /// `a > b ? 1 : 0`.
    case greater

    public var definition: (cl: String, reference: (Double, Double) -> Double) {
        switch self {
        case .add: return ("(a+b)", { $0 + $1 })
        case .sub: return ("(a-b)", { $0 - $1 })
        case .mul: return ("(a*b)", { $0 * $1 })
        case .div: return ("(a/b)", { $0 / $1 })
        case .maximum: return ("fmax(a,b)", { Swift.max($0, $1) })
        case .minimum: return ("fmin(a,b)", { Swift.min($0, $1) })
        case .pow: return ("pow(a,b)", { Foundation.pow($0, $1) })
        case .greater: return ("(a>b?1.0f:0.0f)", { $0 > $1 ? 1 : 0 })
        }
    }
}

/// Reductions over axes. Declared like `UnaryOp`: the combining expression in `a` and `b`, its identity.
public enum ReduceOp: String, CaseIterable, Sendable {
    case sum, max, min

    public var definition: (cl: String, identity: String, reference: (Double, Double) -> Double, start: Double) {
        switch self {
        case .sum: return ("(a+b)", "0.0f", { $0 + $1 }, 0)
        case .max: return ("fmax(a,b)", "(-INFINITY)", { Swift.max($0, $1) }, -.infinity)
        case .min: return ("fmin(a,b)", "INFINITY", { Swift.min($0, $1) }, .infinity)
        }
    }
}

/// Where a matrix of a batched matmul lives in its storage: element (b, i, j) is at
/// `offset + b * batchStride + i * rowStride + j * columnStride`.
public struct MatrixLayout: Equatable, Sendable {
    public var offset: Int
    public var batchStride: Int
    public var rowStride: Int
    public var columnStride: Int

    public init(offset: Int = 0, batchStride: Int, rowStride: Int, columnStride: Int) {
        self.offset = offset
        self.batchStride = batchStride
        self.rowStride = rowStride
        self.columnStride = columnStride
    }
}

/// Stride, padding and groups of a 2-D convolution (cross-correlation, like `F.conv2d`).
public struct Conv2dParameters: Equatable, Sendable {
    public var stride: (y: Int, x: Int)
    public var padding: (y: Int, x: Int)
    public var groups: Int

    public init(stride: (y: Int, x: Int) = (1, 1), padding: (y: Int, x: Int) = (0, 0), groups: Int = 1) {
        self.stride = stride
        self.padding = padding
        self.groups = groups
    }

    public static func == (l: Conv2dParameters, r: Conv2dParameters) -> Bool {
        l.stride == r.stride && l.padding == r.padding && l.groups == r.groups
    }

    /// The output size of a `[N, C, H, W]` input and `[O, C/groups, KH, KW]` weight.
    public func outputSize(height: Int, width: Int, kernelHeight: Int, kernelWidth: Int) -> (height: Int, width: Int) {
        ((height + 2 * padding.y - kernelHeight) / stride.y + 1, (width + 2 * padding.x - kernelWidth) / stride.x + 1)
    }
}
