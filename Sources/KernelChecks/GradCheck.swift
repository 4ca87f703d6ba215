import Tensors

/// Gradient checks by central finite differences, in Float64 on the CPU reference.
///
/// `f` maps the inputs to any tensor; it is reduced to the scalar `L = Σ f(x)·r` with a fixed
/// random `r`. First order compares `∂L/∂x` with differences of L; second order compares the
/// gradient of `H = Σ_i Σ (∂L/∂x_i)·s_i` (computed with `createGraph`) with differences of H.
public enum GradCheck {
    public struct Result: CustomStringConvertible {
        /// Largest `|analytic − numeric|`.
        public var maxError: Double
        /// Largest `|analytic − numeric| / (absolute + relative·|numeric|)`; at most 1 passes.
        public var worstRatio: Double
        /// Largest `|numeric|`, to show the check was not comparing zeros.
        public var maxMagnitude: Double
        public var passed: Bool { worstRatio <= 1 }
        public var description: String {
            "max error \(sci(maxError)) (worst ratio \(sci(worstRatio)), largest gradient \(sci(maxMagnitude)))"
        }
    }

    /// Compares first-order gradients of `f` at seeded random inputs of `shapes`.
    public static func firstOrder(_ shapes: [[Int]], range: ClosedRange<Double> = -1...1, seed: UInt64 = 7,
                                  tolerance: Tolerance = Tolerance(absolute: 1e-7, relative: 1e-5),
                                  step: Double = 1e-6, maxElements: Int? = nil, _ f: @escaping ([Tensor]) throws -> Tensor) throws -> Result {
        let inputs = try randomInputs(shapes, range: range, seed: seed)
        let r = try Tensor.uniform(try GradMode.disabled { try f(inputs) }.shape, seed: seed &+ 1000, dtype: .float64)
        let objective: ([Tensor]) throws -> Tensor = { try (f($0) * r).sum() }
        return try compare(inputs, objective, tolerance: tolerance, step: step, maxElements: maxElements)
    }

    /// Compares second-order gradients (the gradient of a gradient) of `f`.
    public static func secondOrder(_ shapes: [[Int]], range: ClosedRange<Double> = -1...1, seed: UInt64 = 7,
                                   tolerance: Tolerance = Tolerance(absolute: 1e-6, relative: 1e-4),
                                   step: Double = 1e-5, maxElements: Int? = nil, _ f: @escaping ([Tensor]) throws -> Tensor) throws -> Result {
        let inputs = try randomInputs(shapes, range: range, seed: seed)
        let r = try Tensor.uniform(try GradMode.disabled { try f(inputs) }.shape, seed: seed &+ 1000, dtype: .float64)
        let s = try shapes.enumerated().map { i, shape in
            try Tensor.uniform(shape, seed: seed &+ 2000 &+ UInt64(i), dtype: .float64)
        }
        let objective: ([Tensor]) throws -> Tensor = { inputs in
            let loss = try (f(inputs) * r).sum()
            let grads = try gradients(of: loss, wrt: inputs, createGraph: true)
            return try zip(grads, s).map { try ($0 * $1).sum() }.dropFirst()
                .reduce(try (grads[0] * s[0]).sum()) { try $0 + $1 }
        }
        return try compare(inputs, objective, tolerance: tolerance, step: step, maxElements: maxElements)
    }

    static func randomInputs(_ shapes: [[Int]], range: ClosedRange<Double>, seed: UInt64) throws -> [Tensor] {
        try shapes.enumerated().map { i, shape in
            try Tensor.uniform(shape, in: range, seed: seed &+ UInt64(i), dtype: .float64).requiringGrad()
        }
    }

    /// The analytic gradient of the scalar `objective` against central differences, at every
    /// element of each input, or at `maxElements` of them spread evenly over it (for large inputs).
    static func compare(_ inputs: [Tensor], _ objective: @escaping ([Tensor]) throws -> Tensor,
                        tolerance: Tolerance, step: Double, maxElements: Int? = nil) throws -> Result {
        let analytic = try gradients(of: objective(inputs), wrt: inputs).map { try $0.toDoubles() }
        var result = Result(maxError: 0, worstRatio: 0, maxMagnitude: 0)
        for (index, input) in inputs.enumerated() {
            let base = try input.toDoubles()
            let stride = Swift.max(1, base.count / Swift.max(1, maxElements ?? base.count))
            for element in Swift.stride(from: (base.count - 1) % stride, to: base.count, by: stride) {
                func value(at x: Double) throws -> Double {
                    var values = base
                    values[element] = x
                    var shifted = inputs
                    shifted[index] = try Tensor(values, shape: input.shape, dtype: .float64).requiringGrad()
                    return try objective(shifted).toDoubles()[0]
                }
                let numeric = (try value(at: base[element] + step) - value(at: base[element] - step)) / (2 * step)
                let error = Swift.abs(analytic[index][element] - numeric)
                result.maxError = Swift.max(result.maxError, error)
                result.maxMagnitude = Swift.max(result.maxMagnitude, Swift.abs(numeric))
                result.worstRatio = Swift.max(
                    result.worstRatio, error / (tolerance.absolute + tolerance.relative * Swift.abs(numeric)))
            }
        }
        return result
    }
}
