import ArgumentParser
import Foundation
import KernelChecks
import Tensors
import TensorsOpenCL

/// `sgan-gpu check-kernels`: every registered kernel check against the CPU reference.
struct CheckKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-kernels",
        abstract: "Check every kernel on a device against the CPU reference.",
        discussion: "Prints one row per check (max error, tolerance) and ends with 'N passed, M failed'; exits non-zero when any check fails. Every kernel launched is also checked against its signature (clGetKernelArgInfo): the host's argument names, order and types.")

    @OptionGroup var options: DeviceOptions

    @Option(help: "Run only the checks whose name contains this text.")
    var filter: String?

    func run() throws {
        let device = try options.selected(checkSignatures: true)
        print("checking kernels on \(device) against \(Device.cpu)")
        if device.isReference { print("note: the device under test is the reference itself; choose --device opencl to test kernels") }
        let checks = KernelChecks.all.filter { check in filter.map { check.name.contains($0) } ?? true }
        if let filter, checks.isEmpty {
            throw ValidationError("--filter '\(filter)' matches none of the \(KernelChecks.all.count) checks (names like '\(KernelChecks.all.first?.name ?? "")'); run without --filter to list them")
        }
        var passed = 0, failed = 0
        for check in checks {
            let result = Parity.run(check, on: device)
            print(Parity.row(result))
            if result.passed { passed += 1 } else { failed += 1 }
        }
        if let runtime = device.openCL {
            let kernels = runtime.checkedKernels
            print("signatures: \(kernels.count) kernels' arguments match their parameters (clGetKernelArgInfo)")
        }
        print("\(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode.failure }
    }
}
