import ArgumentParser
import Foundation
import Networks
import Training

/// The `sgan-gpu` command: StyleGAN and StyleGAN2 on OpenCL.
@main
struct SGAN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sgan-gpu",
        abstract: "StyleGAN and StyleGAN2 on any OpenCL device.",
        subcommands: [Devices.self, CheckKernels.self, Train.self, Render.self, DatasetCommand.self, Metrics.self, Bench.self])

    /// Runs the command. Every error, a usage error included, becomes one `error:` line on
    /// standard error and a non-zero exit status (64 for usage errors, 1 otherwise); `--help`
    /// prints the help.
    static func main() {
        setvbuf(stdout, nil, _IOLBF, 0)  // progress lines appear as they are written, also in a pipe
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("error: \(message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message)\n".utf8))
            Foundation.exit(code.rawValue)
        }
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
extension DatasetTool.Transform: ExpressibleByArgument {}
extension DatasetTool.Filter: ExpressibleByArgument {}

/// The `--device` option shared by commands that compute.
struct DeviceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "cpu (the reference backend), opencl (first GPU, else first device) or opencl:P:D; default: $SGAN_DEVICE, else opencl.",
        valueName: "device"))
    var device: String?
}
