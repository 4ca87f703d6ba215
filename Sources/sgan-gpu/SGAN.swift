import ArgumentParser
import Foundation

/// The `sgan-gpu` command: StyleGAN and StyleGAN2 on OpenCL.
@main
struct SGAN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sgan-gpu",
        abstract: "StyleGAN and StyleGAN2 on any OpenCL device.",
        subcommands: [Devices.self, CheckKernels.self, Render.self, Bench.self])

    /// Runs the command; an error becomes one `error:` line on standard error and exit status 1.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as CleanExit {
            exit(withError: error)
        } catch let error as ExitCode {
            exit(withError: error)
        } catch let error where isArgumentParserError(error) {
            exit(withError: error)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            Foundation.exit(1)
        }
    }

    /// Errors of argument parsing (usage errors) print ArgumentParser's own message.
    static func isArgumentParserError(_ error: Error) -> Bool {
        String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }
}

/// The `--device` option shared by commands that compute.
struct DeviceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "cpu (the reference backend), opencl (first GPU, else first device) or opencl:P:D; default: $SGAN_DEVICE, else opencl.",
        valueName: "device"))
    var device: String?
}
