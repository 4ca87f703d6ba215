import Foundation

/// Where tensors live and ops run: the CPU reference backend or one OpenCL device.
///
/// `Device.cpu` is the reference backend; `TensorsOpenCL` adds `Device.select(_:)`, which reads
/// `--device` values and `SGAN_DEVICE`: `cpu`, `opencl` (the first GPU, else the first OpenCL
/// device) or `opencl:P:D` (device D of platform P, as `sgan-gpu devices` numbers them).
public final class Device: CustomStringConvertible, Sendable {
    public let backend: Backend
    /// The spelling that selects this device (`cpu`, `opencl:0:0`).
    public let spec: String

    /// A device over any backend (`spec` is how it is named in messages).
    public init(backend: Backend, spec: String) {
        self.backend = backend
        self.spec = spec
    }

    /// The CPU reference backend.
    public static let cpu = Device(backend: ReferenceBackend(), spec: "cpu")

    /// `device` with every op checked against the CPU reference (`ValidatingBackend`).
    public static func validating(_ device: Device) -> Device {
        device.backend is ValidatingBackend ? device : Device(backend: ValidatingBackend(device: device.backend), spec: device.spec)
    }

    /// Whether every op is checked against the CPU reference.
    public var isValidating: Bool { backend is ValidatingBackend }

    public var description: String { backend.name }
    public var isReference: Bool { backend is ReferenceBackend }
}

/// A point in a device's queue: `wait()` returns once everything enqueued before it has run.
/// Lets a loop keep a bounded amount of work in flight without waiting for the newest step.
public final class DeviceFence {
    private let marker: (any QueueMarker)?

    public init(_ device: Device) throws {
        marker = try device.backend.marker()
    }

    public func wait() throws { try marker?.wait() }
}
