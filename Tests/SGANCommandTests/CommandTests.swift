import Foundation
import Testing

/// Runs the `sgan-gpu` binary built beside the test bundle with `arguments` and `environment`
/// added to this process's; returns its exit status, standard output and standard error.
func runCommand(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = try sganBinary()
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

let hasOpenCL: Bool = (try? runCommand(["devices"]).status) == 0

@Suite struct CommandTests {
    @Test func noPlatformGivesOneClearLine() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("sgan-no-icd-\(getpid())")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        for command in [["devices"], ["check-kernels"], ["bench", "--runs", "1"]] {
            let result = try runCommand(command, environment: ["OCL_ICD_VENDORS": empty.path, "SGAN_DEVICE": ""])
            #expect(result.status != 0)
            let lines = result.err.split(separator: "\n")
            #expect(lines.count == 1, "\(command): \(result.err)")
            #expect(result.err.hasPrefix("error: no OpenCL platform found"))
            #expect(result.err.contains("apt-get install pocl-opencl-icd"))
        }
    }

    @Test func badDeviceListsValidChoices() throws {
        let result = try runCommand(["check-kernels", "--device", "tpu"])
        #expect(result.status != 0)
        #expect(result.err.hasPrefix("error: unknown device 'tpu'; valid choices: cpu, opencl"))
    }

    @Test(.enabled(if: hasOpenCL, "no OpenCL platform on this machine"))
    func devicesListsEachDevice() throws {
        let result = try runCommand(["devices"])
        #expect(result.status == 0)
        #expect(result.out.contains("opencl:0:0"))
        #expect(result.out.contains("compute units"))
        #expect(result.out.contains("GiB global memory"))
    }

    /// `bench --cfg --json` prints one JSON line with every field the performance issue asks for,
    /// and a steady-state iteration allocates (almost) no device buffer.
    @Test(.enabled(if: hasOpenCL, "no OpenCL platform on this machine"))
    func benchConfigurationPrintsOneJSONLine() throws {
        let result = try runCommand(["bench", "--cfg", "small", "--runs", "1", "--json"])
        #expect(result.status == 0, "\(result.err)")
        let lines = result.out.split(separator: "\n")
        #expect(lines.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8)) as? [String: Any])
        for field in ["g_forward_img_s", "iteration_img_s", "r1_img_s", "pl_img_s", "peak_host_gib", "peak_device_gib"] {
            let value = try #require(object[field] as? Double, "\(field) missing")
            #expect(value > 0, "\(field)")
        }
        #expect(object["cfg"] as? String == "small")
        // The pool serves a repeated step; style mixing's random cutoff can still bring a slice
        // size for the first time (a broken pool would allocate hundreds of buffers).
        let allocations = try #require(object["allocations_per_iteration"] as? Int)
        #expect(allocations < 10)
    }

    @Test(.enabled(if: hasOpenCL, "no OpenCL platform on this machine"))
    func checkKernelsEndsWithCounts() throws {
        let result = try runCommand(["check-kernels", "--device", "opencl", "--filter", "matmul_f32"])
        #expect(result.status == 0)
        let last = result.out.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last == "4 passed, 0 failed")
    }
}
