/// The element type of a tensor's storage.
///
/// OpenCL kernels exist for `float32` (kernel names end in `_f32`). `float64` exists on the
/// CPU reference backend only, for finite-difference gradient checks. Half-precision storage
/// would be one more case with its own kernel suffix.
public enum DType: String, CaseIterable, Sendable {
    case float32
    case float64

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float32: return 4
        case .float64: return 8
        }
    }


    /// `value` rounded to what this type can hold.
    @inlinable
    public func round(_ value: Double) -> Double {
        switch self {
        case .float32: return Double(Float(value))
        case .float64: return value
        }
    }
}
