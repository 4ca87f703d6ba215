import Foundation
import OpenCLRuntime

/// Where tensors live and ops run: the CPU reference backend or one OpenCL device.
///
/// Choose one with `Device.select(_:)`, which reads `--device` values and `SGAN_DEVICE`:
/// `cpu` (the reference backend), `opencl` (the first GPU, else the first OpenCL device) or
/// `opencl:P:D` (device D of platform P, as `sgan-gpu devices` numbers them).
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

    /// The OpenCL runtime of this device, nil for the reference backend.
    public var openCL: OpenCLDevice? { (backend as? OpenCLBackend)?.runtime }

    /// A device of its own on `runtime` (not shared with `select`), e.g. to measure one pool;
    /// `im2colLimit` and `panelWidth` as in `OpenCLBackend` (nil: the device's choice).
    public static func opencl(_ runtime: OpenCLDevice, im2colLimit: Int = 32 << 20, panelWidth: Int? = nil) -> Device {
        Device(backend: OpenCLBackend(runtime: runtime, im2colLimit: im2colLimit, panelWidth: panelWidth),
               spec: runtime.device.spec)
    }

    /// The OpenCL devices opened so far, by spec: each is opened once and shared.
    private final class Registry: @unchecked Sendable {  // `opened` behind `lock`
        let lock = NSLock()
        var opened: [String: Device] = [:]
    }
    private static let registry = Registry()

    /// The device that `spec` names; nil or empty means `SGAN_DEVICE`, else `opencl`.
    /// The same OpenCL device is opened once and shared.
    public static func select(_ spec: String? = nil) throws -> Device {
        let environment = ProcessInfo.processInfo.environment["SGAN_DEVICE"]
        let spec = [spec, environment, "opencl"].compactMap { $0 }.first { !$0.isEmpty }!
            .trimmingCharacters(in: .whitespaces).lowercased()
        if spec == "cpu" { return .cpu }
        registry.lock.lock()
        defer { registry.lock.unlock() }
        if let device = registry.opened[spec] { return device }
        let runtime: OpenCLDevice
        if spec == "opencl" {
            runtime = try OpenCLDevice.openDefault()
        } else if let (p, d) = parseIndices(spec) {
            runtime = try OpenCLDevice.open(platform: p, device: d)
        } else {
            let available = (try? CLPlatform.all().flatMap { try $0.devices() }.map(\.spec)) ?? []
            throw TensorError.unknownDevice(spec, valid: ["cpu", "opencl"] + available)
        }
        let device = Device.opencl(runtime)
        registry.opened[spec] = device
        registry.opened[device.spec] = device
        return device
    }

    static func parseIndices(_ spec: String) -> (Int, Int)? {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "opencl", let p = Int(parts[1]), let d = Int(parts[2]), p >= 0, d >= 0
        else { return nil }
        return (p, d)
    }
}

/// A point in a device's queue: `wait()` returns once everything enqueued before it has run.
/// Lets a loop keep a bounded amount of work in flight without waiting for the newest step.
public final class DeviceFence {
    private let event: CLEvent?

    public init(_ device: Device) throws {
        event = try device.openCL?.marker()
    }

    public func wait() throws { try event?.wait() }
}
