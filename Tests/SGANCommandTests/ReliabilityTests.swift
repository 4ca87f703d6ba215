import Foundation
import Networks
import SafeTensors
import Tensors
import Testing
import ZIPFoundation

/// The sgan-gpu binary beside the test bundle.
func sganBinary() throws -> URL {
    let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = [folder, folder.deletingLastPathComponent()].map { $0.appendingPathComponent("sgan-gpu") }
    guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: folder.appendingPathComponent("sgan-gpu").path])
    }
    return binary
}

/// Starts sgan-gpu with `arguments`, its output into files of `folder`.
func startCommand(_ arguments: [String], log: String) throws -> Process {
    let process = Process()
    process.executableURL = try sganBinary()
    process.arguments = arguments
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    return process
}

/// Runs sgan-gpu and returns its exit status, standard error and peak resident memory (bytes; nil
/// without python3). The peak is measured by a small python3 parent (`RUSAGE_CHILDREN`): a child
/// started from this large test process would report this process's memory as its own.
func runMeasured(_ arguments: [String]) throws -> (status: Int32, err: String, peakBytes: Int?) {
    let binary = try sganBinary().path
    let script = """
        import json, resource, subprocess, sys
        r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        print(json.dumps({"status": r.returncode, "err": r.stderr.decode(errors="replace"),
                          "peak": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}))
        """
    if let result = try runPython(["-c", script, binary] + arguments), result.status == 0,
       let json = try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any],
       let status = json["status"] as? Int, let err = json["err"] as? String, let peak = json["peak"] as? Int {
        return (Int32(status), err, peak)
    }
    let plain = try runCommand(arguments)
    return (plain.status, plain.err, nil)
}

/// Reliability under faults and hostile input: the process-level cases.
@Suite struct ReliabilityTests {
    let tiny = tinyTrainArguments

    func folder(_ name: String) throws -> String { try emptyFolder("sgan-rel-\(name)") }

    func waitFor(_ condition: () -> Bool, seconds: Double = 120) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    func runs(_ outdir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: outdir)) ?? []).filter { Int($0.prefix(5)) != nil }.sorted()
    }

    /// Four runs started at once with one --outdir get four folders, each with its own log.
    @Test func concurrentRunsGetTheirOwnFolders() throws {
        let outdir = try folder("concurrent")
        let processes = try (0..<4).map { i in try startCommand(["train", "--outdir", outdir, "--kimg", "0.008"] + tiny, log: outdir + "/../concurrent-\(getpid())-\(i).txt") }
        for p in processes { p.waitUntilExit() }
        #expect(processes.allSatisfy { $0.terminationStatus == 0 })
        let folders = runs(outdir)
        #expect(folders.count == 4, "\(folders)")
        for run in folders {
            let log = try String(contentsOfFile: outdir + "/" + run + "/log.txt", encoding: .utf8)
            #expect(log.components(separatedBy: "Training small").count == 2, "\(run): \(log)")
        }
    }

    /// --resume latest while that run is still training is refused, naming the holder's PID.
    @Test func resumeWhileRunningIsRefused() throws {
        let outdir = try folder("busy")
        let running = try startCommand(["train", "--outdir", outdir, "--kimg", "5"] + tiny, log: outdir + "/../busy-\(getpid()).txt")
        defer { running.terminate(); running.waitUntilExit() }
        #expect(waitFor { runs(outdir).first.map { FileManager.default.fileExists(atPath: outdir + "/" + $0 + "/network-snapshot-000000.safetensors") } ?? false })
        let result = try runCommand(["train", "--outdir", outdir, "--resume", "latest", "--kimg", "0.1"] + tiny)
        #expect(result.status != 0)
        #expect(result.err.contains("is in use by process \(running.processIdentifier)"), "\(result.err)")
        #expect(result.err.split(separator: "\n").count == 1)
    }

    /// SIGTERM and SIGINT finish the step, write a snapshot, say how to continue, and exit 143 / 130;
    /// the run then resumes.
    @Test(arguments: [SIGTERM, SIGINT])
    func signalsSaveTheRun(_ signal: Int32) throws {
        let outdir = try folder("signal-\(signal)"), log = outdir + "/../signal-\(signal)-\(getpid()).txt"
        let process = try startCommand(["train", "--outdir", outdir, "--kimg", "5"] + tiny, log: log)
        #expect(waitFor { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("tick 2 ") })
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 128 + signal)
        let output = try String(contentsOfFile: log, encoding: .utf8)
        #expect(output.contains("continue with: sgan-gpu train --outdir"), "\(output)")
        let run = try #require(runs(outdir).first)
        let runLog = try String(contentsOfFile: outdir + "/" + run + "/log.txt", encoding: .utf8)
        #expect(runLog.contains("Stopped by \(signal == SIGTERM ? "SIGTERM" : "SIGINT")"))
        let resumed = try runCommand(["train", "--outdir", outdir, "--resume", "latest", "--kimg", "0.1"] + tiny)
        #expect(resumed.status == 0, "\(resumed.err)")
        #expect(resumed.out.contains("Resuming from"))
    }

    /// Ticks under 1 kimg give snapshots of their own, named with the images beyond the whole kimg.
    @Test func subKimgTicksDoNotOverwriteSnapshots() throws {
        let outdir = try folder("subkimg")
        let result = try runCommand(["train", "--outdir", outdir, "--kimg", "0.024"] + tiny)
        #expect(result.status == 0, "\(result.err)")
        let run = try #require(runs(outdir).first)
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: outdir + "/" + run).filter { $0.hasPrefix("network-snapshot-") }.sorted()
        #expect(Set(snapshots) == ["network-snapshot-000000.safetensors", "network-snapshot-000000.012.safetensors",
                                   "network-snapshot-000000.020.safetensors", "network-snapshot-000000.024.safetensors"], "\(snapshots)")
    }

    /// A full disk stops the run with one line naming the file; every log and stats line is whole
    /// and the last snapshot readable. Needs root to mount a small tmpfs (skipped otherwise; the
    /// writer's own fault test runs everywhere).
    @Test func fullDiskStopsCleanly() throws {
        let mountPoint = try folder("tmpfs")
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        mount.arguments = ["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", mountPoint]
        mount.standardError = FileHandle.nullDevice
        try mount.run()
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else { return }   // not root: covered by RunFolderTests
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            umount.arguments = ["umount", mountPoint]
            try? umount.run()
            umount.waitUntilExit()
        }
        let result = try runCommand(["train", "--outdir", mountPoint, "--kimg", "5"] + tiny)
        #expect(result.status == 1)
        let lines = result.err.split(separator: "\n")
        #expect(lines.count == 1 && result.err.contains("No space left on device") && result.err.contains("cannot write"), "\(result.err)")
        let run = try #require(runs(mountPoint).first)
        let folder = mountPoint + "/" + run
        if let stats = try? String(contentsOfFile: folder + "/stats.jsonl", encoding: .utf8) {
            #expect(stats.isEmpty || stats.hasSuffix("\n"))
            for line in stats.split(separator: "\n") { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "a partial line: \(line)") }
        }
        let log = try String(contentsOfFile: folder + "/log.txt", encoding: .utf8)
        #expect(log.hasSuffix("\n"))
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasPrefix("network-snapshot-") {
            #expect(!name.contains(".tmp-"), "a temporary file was left: \(name)")
            #expect(throws: Never.self) { _ = try SafeTensorsFile(path: folder + "/" + name) }
        }
    }

    /// Random values across each numeric option's whole range (negative, zero, huge, NaN, inf):
    /// every run ends with status 0 or one error line, never a signal.
    @Test func numericOptionsNeverCrash() throws {
        var random = SystemRandomNumberGenerator()
        let doubles = ["0", "-1", "1e30", "-1e30", "nan", "inf", "-inf", "1e-300", "4", "0.5", "1e17", "65536"]
        let integers = ["0", "-1", "1", "2", "3", "1000000", "4611686018427387904", "9223372036854775807", "-9223372036854775808", "99999999999999999999", "1e3", "x"]
        let train: [(String, [String])] = [("--kimg", doubles), ("--tick", doubles), ("--gamma", doubles), ("--lrate", doubles),
            ("--lod-training-kimg", doubles), ("--batch", integers), ("--snap", integers), ("--metrics-ticks", integers),
            ("--resolution", integers), ("--zdim", integers), ("--cbase", integers), ("--cmax", integers), ("--map", integers),
            ("--mbstd-group", integers), ("--seed", integers), ("--lod-initial-resolution", integers)]
        let outdir = try folder("fuzz")
        for (option, values) in train {
            for value in values.shuffled(using: &random).prefix(4) {
                // Small otherwise, so that an accepted value trains for an instant.
                var arguments = ["train", "--outdir", outdir, "--kimg", "0.004", "--device", "cpu", "--resolution", "8", "--cbase", "32",
                                 "--cmax", "4", "--map", "1", "--zdim", "8", "--batch", "2", "--mbstd-group", "2", "--grid", "1x1", "--tick", "0.004"]
                if let i = arguments.firstIndex(of: option) { arguments[i + 1] = value } else { arguments += [option, value] }
                try expectCleanEnd(arguments, seconds: 15)
            }
        }
        let network = outdir + "/g.safetensors"
        var g = StyleGAN2.GeneratorConfig()
        (g.zDim, g.wDim, g.imgResolution, g.mapping.numLayers, g.synthesis.channelBase, g.synthesis.channelMax) = (8, 8, 8, 1, 32, 4)
        try NetworkFile.write(NetworkFile.StyleGAN2Networks(G_ema: try StyleGAN2.Generator(g, device: .cpu)), to: network)
        for (option, values) in [("--psi", doubles), ("--batch", integers), ("--cutoff", integers), ("--frames", integers), ("--draws", integers)] {
            for value in values.shuffled(using: &random).prefix(4) {
                try expectCleanEnd(["render", "--network", network, "--seeds", "0-1", "--device", "cpu", "--outdir", outdir + "/r", option, value], seconds: 15)
            }
        }
        for value in integers.shuffled(using: &random).prefix(4) {
            try expectCleanEnd(["dataset", "--source", outdir, "--dest", outdir + "/d-\(UInt32.random(in: 0...UInt32.max))", "--resolution", value], seconds: 15)
            try expectCleanEnd(["bench", "--runs", value, "--device", "cpu", "--cfg", "nothing"], seconds: 15)
        }
    }

    /// Runs `arguments`; a run still going after `seconds` (a valid, long request) is stopped and counts as clean.
    func expectCleanEnd(_ arguments: [String], seconds: Double) throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("sgan-fuzz-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).txt").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let process = try startCommand(arguments, log: log)
        if !waitFor({ !process.isRunning }, seconds: seconds) {
            process.terminate()
            process.waitUntilExit()
            return
        }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(process.terminationReason == .exit, "\(arguments) ended by signal \(process.terminationStatus): \(output.suffix(300))")
        if process.terminationStatus != 0 {
            let errors = output.split(separator: "\n").filter { $0.hasPrefix("error:") }
            #expect(errors.count == 1, "\(arguments): \(output.suffix(300))")
        }
    }

    /// A network file whose metadata claims an enormous network is refused before anything is built.
    @Test func hugeMetadataIsRefusedBeforeAllocating() throws {
        let dir = try folder("huge")
        var g = StyleGAN2.GeneratorConfig()
        (g.zDim, g.wDim, g.imgResolution, g.mapping.numLayers, g.synthesis.channelBase, g.synthesis.channelMax) = (8, 8, 8, 1, 32, 4)
        try NetworkFile.write(NetworkFile.StyleGAN2Networks(G_ema: try StyleGAN2.Generator(g, device: .cpu)), to: dir + "/g.safetensors")
        let file = try SafeTensorsFile(path: dir + "/g.safetensors")
        let cases: [(String, [(String, String)])] = [
            ("channel_max", [("\"channel_max\":4", "\"channel_max\":1099511627776"), ("\"channel_base\":32", "\"channel_base\":1099511627776")]),
            ("w_dim", [("\"w_dim\":8", "\"w_dim\":1000000000")]),
        ]
        for (key, replacements) in cases {
            var metadata = file.metadata
            var kwargs = metadata[NetworkFile.generatorKwargsKey]!
            for (old, new) in replacements {
                #expect(kwargs.contains(old), "\(old) not found in \(kwargs)")
                kwargs = kwargs.replacingOccurrences(of: old, with: new)
            }
            metadata[NetworkFile.generatorKwargsKey] = kwargs
            var writer = SafeTensorsWriter(metadata: metadata)
            for name in file.names { writer.add(name, shape: file.entry(name)!.shape, values: try file.floats(name)) }
            try writer.write(to: dir + "/bad.safetensors")
            let result = try runMeasured(["render", "--network", dir + "/bad.safetensors", "--seeds", "0", "--device", "cpu", "--outdir", dir + "/out"])
            #expect(result.status == 1, "\(key): \(result.err)")
            #expect(result.err.contains("does not match the tensors") && result.err.split(separator: "\n").count == 1, "\(key): \(result.err)")
            #expect((result.peakBytes ?? 0) < 1 << 30)
        }
    }

    /// NaN weights are refused; --allow-nonfinite renders them with a warning and exit status 1.
    @Test func nonFiniteWeightsAreRefused() throws {
        let dir = try folder("nan")
        var g = StyleGAN2.GeneratorConfig()
        (g.zDim, g.wDim, g.imgResolution, g.mapping.numLayers, g.synthesis.channelBase, g.synthesis.channelMax) = (8, 8, 8, 1, 32, 4)
        let generator = try StyleGAN2.Generator(g, device: .cpu)
        let (name, parameter) = try #require(generator.namedParameters().first { $0.0.contains("affine.weight") })
        try parameter.assign(Tensor.full(.nan, shape: parameter.shape))
        try NetworkFile.write(NetworkFile.StyleGAN2Networks(G_ema: generator), to: dir + "/nan.safetensors")
        let refused = try runCommand(["render", "--network", dir + "/nan.safetensors", "--seeds", "0", "--device", "cpu", "--outdir", dir + "/a"])
        #expect(refused.status == 1 && refused.err.contains(name) && refused.err.contains("NaN or Inf"), "\(refused.err)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/a/seed0000.png"))
        let allowed = try runCommand(["render", "--network", dir + "/nan.safetensors", "--seeds", "0", "--device", "cpu", "--outdir", dir + "/b", "--allow-nonfinite"])
        #expect(allowed.status == 1 && allowed.err.hasPrefix("warning:") && allowed.err.split(separator: "\n").count == 1, "\(allowed.err)")
        #expect(FileManager.default.fileExists(atPath: dir + "/b/seed0000.png"))
    }

    /// A zip entry that declares more than an image may take is refused, in dataset and train alike.
    @Test func zipBombIsRefused() throws {
        let dir = try folder("zipbomb")
        let zip = dir + "/bomb.zip"
        let archive = try Archive(url: URL(fileURLWithPath: zip), accessMode: .create, pathEncoding: nil)
        let size: Int64 = 300 << 20
        let chunk = Data(count: 1 << 20)
        try archive.addEntry(with: "00000000.png", type: .file, uncompressedSize: size, compressionMethod: .deflate) { position, count in
            chunk.prefix(count)
        }
        #expect((try FileManager.default.attributesOfItem(atPath: zip)[.size] as? Int ?? 0) < 4 << 20)
        let dataset = try runMeasured(["dataset", "--source", zip, "--dest", dir + "/out", "--resolution", "8"])
        #expect(dataset.status == 1 && dataset.err.contains("MiB"), "\(dataset.err)")
        #expect((dataset.peakBytes ?? 0) < 200 << 20, "peak \((dataset.peakBytes ?? 0) >> 20) MiB")
        let train = try runMeasured(["train", "--data", zip, "--outdir", dir + "/runs", "--device", "cpu", "--kimg", "0.004"])
        #expect(train.status == 1 && train.err.contains("MiB"), "\(train.err)")
        #expect((train.peakBytes ?? 0) < 200 << 20, "peak \((train.peakBytes ?? 0) >> 20) MiB")
    }

    /// dataset converts to the majority mode (RGB when any image is colour) and says so; it writes
    /// as it reads, so its memory does not grow with the dataset.
    @Test func datasetConvertsColourModesAndStreams() throws {
        let dir = try folder("modes"), source = dir + "/src"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        // The first image is gray, the other 199 are copies of one colour image.
        for channels in [1, 3] {
            let pixels = [UInt8]((0..<(256 * 256 * channels)).lazy.map { UInt8(truncatingIfNeeded: $0 &* 7) })
            try PNGImageForTests.write(width: 256, channels: channels, pixels: pixels, path: source + (channels == 1 ? "/0000.png" : "/0001.png"))
        }
        for i in 2..<200 { try FileManager.default.copyItem(atPath: source + "/0001.png", toPath: source + String(format: "/%04d.png", i)) }
        let result = try runMeasured(["dataset", "--source", source, "--dest", dir + "/out", "--resolution", "256"])
        #expect(result.status == 0, "\(result.err)")
        let out = try String(contentsOfFile: dir + "/out/00000000.png", encoding: .isoLatin1)
        #expect(!out.isEmpty)
        // 200 stored PNGs of 256x256 RGB are 39 MB, and as many decoded: reading them all first, as
        // before, peaked near 100 MB; one at a time stays near the program's own size.
        if let peak = result.peakBytes { #expect(peak < 50 << 20, "peak \(peak >> 20) MiB") }
        let run = try runCommand(["dataset", "--source", source, "--dest", dir + "/out2", "--resolution", "256"])
        #expect(run.out.contains("1 gray image converted to RGB"), "\(run.out)")
        #expect(run.out.contains("(RGB)"))
    }

    /// render writes each batch's images as it finishes: its memory does not grow with the number
    /// of seeds (1,000 seeds at 64x64 are 49 MB of images, which the old all-at-once tensor held
    /// twice over, with its copy for quantising).
    @Test func renderMemoryDoesNotGrowWithSeeds() throws {
        let dir = try folder("render-many")
        var g = StyleGAN2.GeneratorConfig()
        (g.zDim, g.wDim, g.imgResolution, g.mapping.numLayers, g.synthesis.channelBase, g.synthesis.channelMax) = (16, 16, 64, 1, 64, 2)
        try NetworkFile.write(NetworkFile.StyleGAN2Networks(G_ema: try StyleGAN2.Generator(g, device: .cpu)), to: dir + "/g.safetensors")
        let device = hasOpenCL ? "opencl" : "cpu"
        func peak(_ seeds: String) throws -> Int? {
            let result = try runMeasured(["render", "--network", dir + "/g.safetensors", "--seeds", seeds, "--batch", "50", "--device", device, "--outdir", dir + "/out"])
            #expect(result.status == 0, "\(result.err)")
            return result.peakBytes
        }
        let few = try peak("0-99"), many = try peak("0-999")
        #expect(FileManager.default.fileExists(atPath: dir + "/out/seed0999.png"))
        // Ten times the seeds: the peak grows by less than a tenth of the 49 MB the images take.
        if let few, let many { #expect(many - few < 5 << 20, "peak \(few >> 20) MiB for 100 seeds, \(many >> 20) MiB for 1000") }
    }

    /// --validate stops a training step at a deliberately wrong kernel (bias_act off by 1%, from a
    /// copy of Kernels/ given by SGAN_KERNEL_DIR) and names it; with the right kernels it runs clean.
    @Test(.enabled(if: hasOpenCL, "no OpenCL device")) func validateCatchesAWrongKernel() throws {
        let dir = try folder("validate")
        let kernels = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Kernels")
        try FileManager.default.copyItem(atPath: kernels.path, toPath: dir + "/kernels")
        let file = dir + "/kernels/bias_act.cl"
        let source = try String(contentsOfFile: file, encoding: .utf8)
        let wrong = source.replacingOccurrences(of: "v = ACT(v, alpha) * gain;", with: "v = ACT(v, alpha) * gain * 1.01f;")
        #expect(wrong != source)
        try wrong.write(toFile: file, atomically: true, encoding: .utf8)
        let arguments = ["train", "--outdir", dir + "/runs", "--kimg", "0.004", "--validate", "--resolution", "8", "--cbase", "32",
                         "--cmax", "4", "--map", "1", "--zdim", "8", "--batch", "4", "--mbstd-group", "2", "--grid", "1x1"]
        let result = try runCommand(arguments, environment: ["SGAN_KERNEL_DIR": dir + "/kernels"])
        #expect(result.status == 1)
        #expect(result.err.hasPrefix("error: validation: bias_act") && result.err.contains("differs from the CPU reference")
                && result.err.split(separator: "\n").count == 1, "\(result.err)")
        let clean = try runCommand(arguments)
        #expect(clean.status == 0, "\(clean.err)")
        #expect(clean.out.contains("each op validated against the CPU reference"))
    }

    /// Every kernel check under Oclgrind (a simulated device that checks every memory access, data
    /// races between work-items and the API's use), with the CPU and the GPU profile: all pass and
    /// Oclgrind reports nothing. tools/setup installs it; skipped where it is absent.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/oclgrind"), "oclgrind is not installed (apt-get install oclgrind)"),
          arguments: ["cpu", "gpu"])
    func kernelChecksAreCleanUnderOclgrind(_ profile: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/oclgrind")
        process.arguments = ["--data-races", "--check-api", try sganBinary().path, "check-kernels"]
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("sgan-oclgrind-\(profile)-\(getpid()).txt").path
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        (process.standardOutput, process.standardError) = (handle, handle)
        process.environment = ProcessInfo.processInfo.environment.filter { $0.key != "SGAN_DEVICE" }.merging(["SGAN_PROFILE_KIND": profile]) { $1 }
        try process.run()
        process.waitUntilExit()
        let output = try String(contentsOfFile: log, encoding: .utf8)
        #expect(process.terminationStatus == 0, "\(output.suffix(2000))")
        #expect(output.contains("Oclgrind"), "not run on the Oclgrind device: \(output.prefix(300))")
        #expect(output.contains(" passed, 0 failed"), "\(output.suffix(500))")
        let diagnostics = output.split(separator: "\n").filter { line in
            ["Invalid ", "Data race", "Uninitialized", "Oclgrind - ", "Work-group divergence", "Unaligned"].contains { line.contains($0) }
        }
        #expect(diagnostics.isEmpty, "\(diagnostics.prefix(10).joined(separator: "\n"))")
    }

    /// Every kernel check on a second OpenCL implementation, Intel's CPU runtime (installed into
    /// .intel-opencl/ by tools/setup through tools/intel-opencl; skipped where it is absent), with
    /// the CPU and the GPU profile.
    static let intelEnvironment = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".intel-opencl/env.sh").path

    @Test(.enabled(if: FileManager.default.fileExists(atPath: ReliabilityTests.intelEnvironment), "Intel's CPU OpenCL runtime is not installed (tools/intel-opencl)"),
          arguments: ["cpu", "gpu"])
    func kernelChecksPassOnIntelsRuntime(_ profile: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", ". \"$1\" && exec \"$2\" check-kernels", "check", Self.intelEnvironment, try sganBinary().path]
        process.environment = ProcessInfo.processInfo.environment.filter { $0.key != "SGAN_DEVICE" }.merging(["SGAN_PROFILE_KIND": profile]) { $1 }
        let out = Pipe()
        (process.standardOutput, process.standardError) = (out, out)
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text.suffix(2000))")
        #expect(text.hasPrefix("checking kernels on opencl:0:0 ") && !text.contains("pthread"), "not Intel's device: \(text.prefix(200))")
        #expect(text.contains(" passed, 0 failed"), "\(text.suffix(500))")
    }

    /// tools/gpu-check says in one line when the NVIDIA driver library it looks for is absent.
    @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1"), "this machine has NVIDIA's driver"))
    func gpuCheckSaysWhenTheDriverIsAbsent() throws {
        let kit = try folder("gpu-kit")
        try FileManager.default.createSymbolicLink(atPath: kit + "/sgan-gpu", withDestinationPath: try sganBinary().path)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = root.appendingPathComponent("tools/gpu-check")
        process.arguments = ["--kit", kit, "--out", kit + "/results"]
        let err = Pipe()
        (process.standardError, process.standardOutput) = (err, FileHandle.nullDevice)
        try process.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(text.split(separator: "\n").count == 1 && text.contains("libnvidia-opencl.so.1 is not on this machine"), "\(text)")
    }

    @Test func checkKernelsFilterMatchingNothingIsAnError() throws {
        let result = try runCommand(["check-kernels", "--device", "cpu", "--filter", "no-such-kernel"])
        #expect(result.status != 0 && result.err.contains("matches none"), "\(result.err)")
    }

    /// Foundation's errors reach the user as the file and the cause, without the framework's dump.
    @Test func errorsCarryNoFrameworkDumps() throws {
        let outdir = try folder("dumps")
        let trained = try runCommand(["train", "--outdir", outdir, "--kimg", "0.004"] + tiny)
        #expect(trained.status == 0, "\(trained.err)")
        let run = try #require(runs(outdir).first)
        try Data("{\"preset\": 3".utf8).write(to: URL(fileURLWithPath: outdir + "/" + run + "/training_options.json"))
        let resumed = try runCommand(["train", "--outdir", outdir, "--resume", "latest"] + tiny)
        #expect(resumed.status == 1)
        for dump in ["NSCocoaErrorDomain", "DecodingError", "UserInfo", "Context("] { #expect(!resumed.err.contains(dump), "\(resumed.err)") }
        #expect(resumed.err.contains("training_options.json") && resumed.err.split(separator: "\n").count == 1, "\(resumed.err)")
        let latents = try runCommand(["render", "--network", outdir, "--seeds", "0", "--device", "cpu"])
        #expect(latents.status == 1)
        for dump in ["NSCocoaErrorDomain", "UserInfo"] { #expect(!latents.err.contains(dump), "\(latents.err)") }
    }
}

/// Writes test PNGs without the project's ImageIO (this test target reaches it through the binary).
enum PNGImageForTests {
    static func write(width: Int, channels: Int, pixels: [UInt8], path: String) throws {
        // An uncompressed (stored) zlib stream: simple, and big like a real photo.
        var raw = Data()
        for y in 0..<width {
            raw.append(0)
            raw.append(contentsOf: pixels[(y * width * channels)..<((y + 1) * width * channels)])
        }
        var zlib = Data([0x78, 0x01])
        var offset = 0
        while offset < raw.count {
            let n = min(65535, raw.count - offset)
            zlib.append(offset + n == raw.count ? 1 : 0)
            zlib.append(contentsOf: [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)])
            zlib.append(raw[offset..<(offset + n)])
            offset += n
        }
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in raw { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        zlib.append(contentsOf: withUnsafeBytes(of: ((b << 16) | a).bigEndian, Array.init))
        func chunk(_ type: String, _ body: Data) -> Data {
            var out = Data(withUnsafeBytes(of: UInt32(body.count).bigEndian, Array.init))
            let typed = Data(type.utf8) + body
            out.append(typed)
            out.append(contentsOf: withUnsafeBytes(of: crc32(typed).bigEndian, Array.init))
            return out
        }
        var header = Data(withUnsafeBytes(of: UInt32(width).bigEndian, Array.init))
        header.append(contentsOf: withUnsafeBytes(of: UInt32(width).bigEndian, Array.init))
        header.append(contentsOf: [8, channels == 1 ? 0 : 2, 0, 0, 0])
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + chunk("IHDR", header) + chunk("IDAT", zlib) + chunk("IEND", Data())
        try png.write(to: URL(fileURLWithPath: path))
    }

    static func crc32(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
