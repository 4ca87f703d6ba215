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
    /// `im2colLimit`, `panelWidth` and `winogradTile` as in `OpenCLBackend` (nil: the device's
    /// choice). `profile` nil: the device's own (`OpenCLBackend.Profile.choose`).
    public static func opencl(_ runtime: OpenCLDevice, im2colLimit: Int = 32 << 20, panelWidth: Int? = nil,
                              profile: OpenCLBackend.Profile? = nil, winogradTile: Int? = nil) -> Device {
        Device(backend: OpenCLBackend(runtime: runtime, im2colLimit: im2colLimit, panelWidth: panelWidth, profile: profile,
                                      winogradTile: winogradTile),
               spec: runtime.device.spec)
    }

    /// The OpenCL devices opened so far, by spec and options: each is opened once and shared.
    private final class Registry: @unchecked Sendable {  // `opened` behind `lock`
        struct Key: Hashable {
            let spec: String
            let options: OpenCLBackendOptions
        }
        let lock = NSLock()
        var opened: [Key: Device] = [:]
    }
    private static let registry = Registry()

    /// The device that `spec` names: `cpu`, `opencl` (the first GPU, else the first OpenCL device)
    /// or `opencl:P:D`; nil or empty means `opencl`. The same OpenCL device with the same options is
    /// opened once and shared.
    public static func select(_ spec: String? = nil, options: OpenCLBackendOptions = OpenCLBackendOptions()) throws -> Device {
        let spec = (spec.flatMap { $0.isEmpty ? nil : $0 } ?? "opencl").trimmingCharacters(in: .whitespaces).lowercased()
        if spec == "cpu" { return .cpu }
        registry.lock.lock()
        defer { registry.lock.unlock() }
        if let device = registry.opened[Registry.Key(spec: spec, options: options)] { return device }
        let runtime: OpenCLDevice
        if spec == "opencl" {
            runtime = try OpenCLDevice.openDefault(options: options.runtime)
        } else if let (p, d) = parseIndices(spec) {
            runtime = try OpenCLDevice.open(platform: p, device: d, options: options.runtime)
        } else {
            let available = (try? CLPlatform.all().flatMap { try $0.devices() }.map(\.spec)) ?? []
            throw TensorError.unknownDevice(spec, valid: ["cpu", "opencl"] + available)
        }
        let device = Device.opencl(runtime, panelWidth: options.panelWidth, profile: options.profile,
                                   winogradTile: options.winogradTile)
        registry.opened[Registry.Key(spec: spec, options: options)] = device
        registry.opened[Registry.Key(spec: device.spec, options: options)] = device
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

/// How `Device.select` opens OpenCL devices: the runtime's options and the kernel variants. The
/// command-line tool fills it from the environment (`init(environment:)`); libraries never read it.
public struct OpenCLBackendOptions: Sendable, Hashable {
    public var runtime: OpenCLOptions
    /// The kernel variants; nil: from the device's type (`SGAN_PROFILE_KIND=cpu|gpu`).
    public var profile: OpenCLBackend.Profile?
    /// Columns per panel of the CPU products, 16 or 32; nil: the device's choice (`SGAN_PANEL_WIDTH`).
    public var panelWidth: Int?
    /// The Winograd tile of 3×3 convolutions on CPUs: nil chooses, 0 is off, 2 or 4 that tile only
    /// (`SGAN_WINOGRAD=off|2|4`).
    public var winogradTile: Int?

    public init(runtime: OpenCLOptions = OpenCLOptions(), profile: OpenCLBackend.Profile? = nil, panelWidth: Int? = nil,
                winogradTile: Int? = nil) {
        self.runtime = runtime
        self.profile = profile
        self.panelWidth = panelWidth
        self.winogradTile = winogradTile
    }

    /// `SGAN_VERBOSE`, `SGAN_PROFILE`, `SGAN_KERNEL_DIR`, `SGAN_PROFILE_KIND`, `SGAN_PANEL_WIDTH`
    /// and `SGAN_WINOGRAD`.
    public init(environment: [String: String]) {
        runtime = OpenCLOptions(environment: environment)
        profile = environment["SGAN_PROFILE_KIND"].flatMap(OpenCLBackend.Profile.init(rawValue:))
        panelWidth = environment["SGAN_PANEL_WIDTH"].flatMap { Int($0) }
        winogradTile = environment["SGAN_WINOGRAD"].flatMap { $0 == "off" ? 0 : Int($0) }
    }
}
