import Foundation
import Tensors

/// How far an OpenCL result may be from the reference: an element passes when
/// `|got − ref| ≤ absolute + relative·|ref|`.
public struct Tolerance: Sendable, CustomStringConvertible {
    public var absolute: Double
    public var relative: Double

    public init(absolute: Double, relative: Double) {
        self.absolute = absolute
        self.relative = relative
    }

    /// Exact ops (add, copy): rounding of one float32 operation.
    public static let exact = Tolerance(absolute: 0, relative: 1.2e-7)
    /// Transcendental functions with a few ulp of error.
    public static let ulps = Tolerance(absolute: 1e-7, relative: 4e-6)
    /// Long sums (reductions, matmul, conv): float32 accumulation against Double.
    public static let accumulation = Tolerance(absolute: 1e-5, relative: 1e-5)

    public var description: String {
        String(format: "%.1e abs + %.1e rel", absolute, relative)
    }
}

/// One registered kernel check: an op run on seeded random inputs of several shapes.
///
/// `body` receives the inputs on the device under test and the case's integer parameters
/// (axes, strides, paddings: whatever the op needs) and returns the op's result; the parity
/// helper runs it on that device and on the CPU reference and compares.
public struct KernelCheck {
    /// One case: the input shapes and the op's integer parameters.
    public struct Case: CustomStringConvertible {
        public var shapes: [[Int]]
        public var parameters: [Int]

        public init(_ shapes: [[Int]], _ parameters: [Int] = []) {
            self.shapes = shapes
            self.parameters = parameters
        }

        public var description: String {
            "inputs \(shapes.map { "\($0)" }.joined(separator: " "))" + (parameters.isEmpty ? "" : " parameters \(parameters)")
        }
    }

    /// What is checked, starting with the kernel's name (`matmul_f32 transposed B`).
    public var name: String
    /// The kernel family, as in `Kernels/<family>.cl`.
    public var family: String
    public var tolerance: Tolerance
    public var cases: [Case]
    /// Where random inputs are drawn from (log and sqrt need positive inputs).
    public var inputRange: ClosedRange<Double>
    public var body: ([Tensor], [Int]) throws -> Tensor

    public init(_ name: String, family: String, tolerance: Tolerance, cases: [Case],
                inputRange: ClosedRange<Double> = -2...2, body: @escaping ([Tensor], [Int]) throws -> Tensor) {
        self.name = name
        self.family = family
        self.tolerance = tolerance
        self.cases = cases
        self.inputRange = inputRange
        self.body = body
    }

    /// A check whose cases are input shapes alone.
    public init(_ name: String, family: String, tolerance: Tolerance, shapes: [[[Int]]],
                inputRange: ClosedRange<Double> = -2...2, body: @escaping ([Tensor]) throws -> Tensor) {
        self.init(name, family: family, tolerance: tolerance, cases: shapes.map { Case($0) },
                  inputRange: inputRange) { inputs, _ in try body(inputs) }
    }
}

/// The outcome of one check over all its cases.
public struct ParityResult {
    public var name: String
    public var family: String
    public var tolerance: Tolerance
    /// Largest `|got − ref|` over all elements of all cases.
    public var maxAbsoluteError: Double
    /// Largest `|got − ref| / |ref|` over elements with `|ref| > 1e-3`.
    public var maxRelativeError: Double
    /// Largest `|got − ref| / (absolute + relative·|ref|)`: at most 1 passes.
    public var worstRatio: Double
    /// The case with the worst ratio, and the first failure's description.
    public var worstCase: KernelCheck.Case?
    public var failure: String?

    public var passed: Bool { failure == nil }
}
