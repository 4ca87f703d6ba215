import ArgumentParser
import Foundation
import Networks
import OpenCLRuntime
import Tensors
import TensorsOpenCL
import Training

/// The `sgan-gpu` command: StyleGAN and StyleGAN2 on OpenCL.
@main
struct SGAN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sgan-gpu",
        abstract: "StyleGAN and StyleGAN2 on any OpenCL device.",
        subcommands: [Devices.self, CheckKernels.self, Train.self, Render.self, DatasetCommand.self, MetricsCommand.self, Bench.self])

    /// Runs the command. Every error, a usage error included, becomes one `error:` line on
    /// standard error and a non-zero exit status (64 for usage errors, 1 otherwise); `--help`
    /// prints the help.
    static func main() {
        lineBufferStandardOutput()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            // The command has said what happened (a failed check, a run stopped by a signal).
            Foundation.exit(exit.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            let message = userMessage(for: error)
            FileHandle.standardError.write(Data("error: \(message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message)\n".utf8))
            Foundation.exit(code.rawValue)
        }
    }
}

/// Makes C's `stdout` (what `print` writes to) line-buffered, so that progress lines appear as they
/// are written, also in a pipe. `stdout` is a C global that Swift 6 does not let code name
/// directly; its address comes from the dynamic linker instead.
func lineBufferStandardOutput() {
    guard let symbol = dlsym(nil, "stdout") else { return }
    guard let file = symbol.assumingMemoryBound(to: UnsafeMutablePointer<FILE>?.self).pointee else { return }
    setvbuf(file, nil, _IOLBF, 0)
}

/// One line that says what went wrong (Foundation's errors without their framework dump).
func userMessage(for error: Error) -> String {
    if error is DecodingError || error is CocoaError || error is POSIXError || type(of: error) is NSError.Type {
        return describeError(error)
    }
    // ArgumentParser lists the valid choices on lines of their own ("  - auto"): one line here.
    let lines = SGAN.fullMessage(for: error).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    guard let first = lines.first else { return "\(error)" }
    let choices = lines.dropFirst().filter { $0.hasPrefix("- ") }.map { String($0.dropFirst(2)) }
    return choices.isEmpty ? first : first + " " + choices.joined(separator: ", ")
}

/// Throws unless `value` lies in `range`, saying the range (NaN lies in no range).
func require<T: Comparable>(_ option: String, _ value: T?, in range: ClosedRange<T>) throws {
    guard let value else { return }
    guard range.contains(value) else {
        throw ValidationError("\(option) must lie in \(range.lowerBound)...\(range.upperBound), got \(value)")
    }
}

/// Throws unless `value` is a power of two in `range`.
func requirePowerOfTwo(_ option: String, _ value: Int?, in range: ClosedRange<Int>) throws {
    guard let value else { return }
    guard range.contains(value), value & (value - 1) == 0 else {
        throw ValidationError("\(option) must be a power of two from \(range.lowerBound) to \(range.upperBound), got \(value)")
    }
}

/// `CxR` (columns x rows), each from 1 to `limit`; nil when malformed.
func parseGrid(_ text: String, limit: Int) -> (columns: Int, rows: Int)? {
    let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
    guard parts.count == 2, parts.allSatisfy({ (1...limit).contains($0) }) else { return nil }
    return (parts[0], parts[1])
}

// Options whose values are the library's own enums: ArgumentParser checks them and lists the choices.
extension NoiseMode: ExpressibleByArgument {}
extension Preset.Name: ExpressibleByArgument {}
extension AugmentMode: ExpressibleByArgument {}
extension DatasetTool.Transform: ExpressibleByArgument {}
extension DatasetTool.Filter: ExpressibleByArgument {}

/// The `--device` option shared by commands that compute.
struct DeviceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "cpu (the reference backend), opencl (first GPU, else first device) or opencl:P:D; default: $SGAN_DEVICE, else opencl.",
        valueName: "device"))
    var device: String?

    @Flag(help: "Run every op also on the CPU reference and stop at the first op whose results differ (slow; to check a device or driver). Also SGAN_VALIDATE_WITH_CPU=1.")
    var validate = false

    /// The device chosen, validated against the CPU reference when asked. The environment is read
    /// here, once, for every command: `SGAN_DEVICE`, `SGAN_VALIDATE_WITH_CPU` and the OpenCL options
    /// (`OpenCLBackendOptions(environment:)`); `checkSignatures` turns on the kernel signature checks.
    /// `localRank`: this process's rank among the MPI ranks on its host, which picks the device
    /// when none is given (the local rank's GPU, shared round-robin when ranks outnumber GPUs; the
    /// default device without GPUs) and replaces `{local_rank}` in a given one (`opencl:0:{local_rank}`).
    func selected(checkSignatures: Bool = false, localRank: Int? = nil) throws -> Device {
        let environment = ProcessInfo.processInfo.environment
        var options = OpenCLBackendOptions(environment: environment)
        options.runtime.checkSignatures = checkSignatures
        var spec = self.device ?? environment["SGAN_DEVICE"]
        if let localRank {
            if let given = spec {
                spec = given.replacingOccurrences(of: "{local_rank}", with: String(localRank))
            } else {
                let gpus = ((try? CLPlatform.all().flatMap { try $0.devices() }) ?? []).filter(\.isGPU)
                spec = gpus.isEmpty ? nil : gpus[localRank % gpus.count].spec
            }
        }
        let device = try Device.select(spec, options: options)
        return validate || environment["SGAN_VALIDATE_WITH_CPU"] == "1" ? Device.validating(device) : device
    }
}
