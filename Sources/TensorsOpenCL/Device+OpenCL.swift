import Foundation
import OpenCLRuntime
import Tensors

extension Device {
    /// The OpenCL backend of this device, also under a validating backend; nil for the reference backend.
    public var openCLBackend: OpenCLBackend? {
        (backend as? ValidatingBackend)?.device as? OpenCLBackend ?? backend as? OpenCLBackend
    }

    /// The OpenCL runtime of this device, nil for the reference backend.
    public var openCL: OpenCLDevice? { openCLBackend?.runtime }

    /// A device of its own on `runtime` (not shared with `select`), e.g. to measure one pool;
    /// `im2colLimit` and `panelWidth` as in `OpenCLBackend` (nil: the device's choice).
    /// `profile` nil: the device's own (`OpenCLBackend.Profile.choose`).
    public static func opencl(_ runtime: OpenCLDevice, im2colLimit: Int = 32 << 20, panelWidth: Int? = nil,
                              profile: OpenCLBackend.Profile? = nil) -> Device {
        Device(backend: OpenCLBackend(runtime: runtime, im2colLimit: im2colLimit, panelWidth: panelWidth, profile: profile),
               spec: runtime.device.spec)
    }



    /// The OpenCL devices opened so far, by spec: each is opened once and shared.
    private final class Registry: @unchecked Sendable {  // `opened` behind `lock`
        let lock = NSLock()
        var opened: [String: Device] = [:]
    }
    private static let registry = Registry()

    /// The device that `spec` names: `cpu`, `opencl` (the first GPU, else the first OpenCL device)
    /// or `opencl:P:D`; nil or empty means `SGAN_DEVICE`, else `opencl`. The same OpenCL device is
    /// opened once and shared.
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

extension CLEvent: QueueMarker {}
