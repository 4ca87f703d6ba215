import ArgumentParser
import OpenCLRuntime

/// `sgan-gpu devices`: the OpenCL platforms and devices, numbered as `--device opencl:P:D` takes them.
struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List OpenCL platforms and devices.")

    func run() throws {
        for platform in try CLPlatform.all() {
            print("platform \(platform.index): \(platform.name) (\(platform.vendor), \(platform.version))")
            let devices = try platform.devices()
            if devices.isEmpty { print("  (no devices)") }
            for device in devices {
                let memory = Double(device.globalMemoryBytes) / Double(1 << 30)
                print("  \(device.spec)  \(device.name)")
                print("      type \(device.typeName), \(String(format: "%.1f", memory)) GiB global memory, "
                    + "\(device.computeUnits) compute units, \(device.version)"
                    + (device.supportsFP64 ? ", fp64" : ""))
            }
        }
        print("cpu  the plain-Swift reference backend (slow; the oracle that check-kernels compares against)")
    }
}
