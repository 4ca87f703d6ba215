import Foundation
import Tensors

/// The one parity helper behind every kernel test and `check-kernels`: it runs a check on the
/// device under test and on the CPU reference with the same seeded inputs and compares.
public enum Parity {
    /// Runs every case of `check` on `device` and on the reference backend.
    /// Inputs are drawn from `check.inputRange` with a seed derived from `seed` and the case.
    public static func run(_ check: KernelCheck, on device: Device, seed: UInt64 = 0x5EED) -> ParityResult {
        var result = ParityResult(
            name: check.name, family: check.family, tolerance: check.tolerance,
            maxAbsoluteError: 0, maxRelativeError: 0, worstRatio: 0, worstCase: nil, failure: nil)
        for (caseIndex, testCase) in check.cases.enumerated() {
            do {
                let inputs = try testCase.shapes.enumerated().map { i, shape in
                    try Tensor.uniform(shape, in: check.inputRange, seed: seed &+ UInt64(caseIndex * 31 + i))
                }
                let expected = try check.body(inputs, testCase.parameters)
                let got = try check.body(inputs.map { try $0.to(device) }, testCase.parameters)
                guard got.shape == expected.shape else {
                    result.failure = "shape \(got.shape) on \(device.spec), \(expected.shape) on the reference, \(testCase)"
                    return result
                }
                let reference = try expected.toDoubles(), values = try got.toDoubles()
                for (r, v) in zip(reference, values) {
                    if r.isNaN && v.isNaN { continue }
                    if r.isInfinite && v == r { continue }
                    let error = Swift.abs(v - r)
                    let ratio = error.isNaN ? .infinity : error / (check.tolerance.absolute + check.tolerance.relative * Swift.abs(r))
                    result.maxAbsoluteError = Swift.max(result.maxAbsoluteError, error.isNaN ? .infinity : error)
                    if Swift.abs(r) > 1e-3 { result.maxRelativeError = Swift.max(result.maxRelativeError, error / Swift.abs(r)) }
                    if ratio > result.worstRatio {
                        result.worstRatio = ratio
                        result.worstCase = testCase
                    }
                }
            } catch {
                result.failure = "\(testCase): \(error)"
                return result
            }
        }
        if result.worstRatio > 1 {
            result.failure = "error \(sci(result.maxAbsoluteError)) exceeds the tolerance (\(result.tolerance)) for \(result.worstCase.map { "\($0)" } ?? "?")"
        }
        return result
    }

    /// One line per result, as `check-kernels` prints it.
    public static func row(_ r: ParityResult) -> String {
        let status = r.passed ? "ok  " : "FAIL"
        let name = r.name.padding(toLength: 40, withPad: " ", startingAt: 0)
        var line = "\(status) \(name) max abs \(sci(r.maxAbsoluteError))  max rel \(sci(r.maxRelativeError))  tol \(r.tolerance)"
        if let failure = r.failure { line += "\n     \(failure)" }
        return line
    }
}

/// `x` in scientific notation with three significant digits.
func sci(_ x: Double) -> String { String(format: "%.2e", x) }
