/// Errors of tensor operations; each names the op and the shapes involved.
public enum TensorError: Error, CustomStringConvertible, Equatable {
    /// Two shapes that an op cannot combine.
    case shapeMismatch(op: String, shapes: [[Int]], reason: String)
    /// An argument out of range (an axis, a slice, a stride).
    case invalidArgument(op: String, reason: String)
    /// Operands that live on different devices.
    case deviceMismatch(op: String, devices: [String])
    /// What a backend cannot do (float64 on OpenCL, a rank above 8).
    case unsupported(op: String, reason: String)
    /// A `--device` / `SGAN_DEVICE` value that names no device.
    case unknownDevice(String, valid: [String])
    /// An op whose result on a device differs from the CPU reference's (`ValidatingBackend`).
    case validationFailed(op: String, device: String, shapes: [[Int]], maxDifference: Double, tolerance: Double, index: Int)

    public var description: String {
        func list(_ shapes: [[Int]]) -> String { shapes.map { "\($0)" }.joined(separator: " and ") }
        switch self {
        case .shapeMismatch(let op, let shapes, let reason):
            return "\(op): shapes \(list(shapes)) \(reason)"
        case .invalidArgument(let op, let reason):
            return "\(op): \(reason)"
        case .deviceMismatch(let op, let devices):
            return "\(op): operands live on different devices (\(devices.joined(separator: ", "))); move them with to(_:) first"
        case .unsupported(let op, let reason):
            return "\(op): \(reason)"
        case .unknownDevice(let spec, let valid):
            return "unknown device '\(spec)'; valid choices: \(valid.joined(separator: ", "))"
        case .validationFailed(let op, let device, let shapes, let difference, let tolerance, let index):
            return "validation: \(op) on \(device) differs from the CPU reference by \(String(format: "%.3g", difference)) at element \(index) (tolerance \(String(format: "%.3g", tolerance))) for shapes \(list(shapes)); this device computes \(op) wrongly: run `sgan-gpu check-kernels` on it and report the result"
        }
    }
}
