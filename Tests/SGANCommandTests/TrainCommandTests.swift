import Foundation
import Networks
import SafeTensors
import Tensors
import Testing

/// A tiny StyleGAN2 run on the CPU: 8×8 procedural images, 4 channels, a tick and a snapshot every 8 images.
let tinyTrainArguments = ["--resolution", "8", "--cbase", "32", "--cmax", "4", "--map", "1", "--zdim", "8", "--batch", "4",
                          "--mbstd-group", "2", "--tick", "0.008", "--snap", "1", "--grid", "2x2", "--device", "cpu"]

/// A new, empty folder `name-PID` in the temporary directory.
func emptyFolder(_ name: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(getpid())").path
    try? FileManager.default.removeItem(atPath: path)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// `train`, `dataset` and `metrics` as a user runs them.
@Suite struct TrainCommandTests {
    let tiny = tinyTrainArguments

    func folder(_ name: String) throws -> String { try emptyFolder("sgan-\(name)") }

    /// `--resume` with a network file that holds only G_ema (fine-tuning needs G, D and G_ema) is
    /// refused for that reason, and a refused start leaves no run folder behind.
    @Test func refusedResumeWritesNothing() throws {
        let outdir = try folder("refused"), network = try folder("refused-net") + "/g.safetensors"
        var g = StyleGAN2.GeneratorConfig()
        (g.zDim, g.wDim, g.imgResolution, g.mapping.numLayers, g.synthesis.channelBase, g.synthesis.channelMax) = (16, 16, 16, 1, 64, 8)
        try NetworkFile.write(NetworkFile.StyleGAN2Networks(G_ema: try StyleGAN2.Generator(g, device: .cpu)), to: network)
        let result = try runCommand(["train", "--outdir", outdir, "--kimg", "0.01", "--resume", network] + tiny)
        #expect(result.status != 0)
        #expect(result.err.contains("does not hold G, D and G_ema: fine-tuning starts from all three"), "\(result.err)")
        #expect(!result.err.contains("another configuration"), "\(result.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outdir).isEmpty, "a refused start left files behind")
    }

    /// A run killed with SIGKILL continues from its last snapshot with `--resume latest`.
    @Test func killedRunResumesFromItsLastSnapshot() throws {
        let outdir = try folder("kill")
        let process = Process()
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sgan-gpu")
        process.executableURL = binary
        process.arguments = ["train", "--outdir", outdir, "--kimg", "1"] + tiny
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait for the second snapshot, then kill.
        let deadline = Date().addingTimeInterval(300)
        var snapshots: [String] = []
        while Date() < deadline {
            let runs = (try? FileManager.default.contentsOfDirectory(atPath: outdir)) ?? []
            if let run = runs.first {
                let log = (try? String(contentsOfFile: outdir + "/" + run + "/log.txt", encoding: .utf8)) ?? ""
                if log.contains("tick 2 ") {
                    snapshots = (try FileManager.default.contentsOfDirectory(atPath: outdir + "/" + run)).filter { $0.hasPrefix("network-snapshot") }
                    break
                }
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(!snapshots.isEmpty, "no snapshot before the kill")
        let result = try runCommand(["train", "--outdir", outdir, "--kimg", "0.1", "--resume", "latest"] + tiny)
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("Resuming from"))
        #expect(result.out.contains("Done: 0.1 kimg"))
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: outdir).first)
        for name in try FileManager.default.contentsOfDirectory(atPath: outdir + "/" + run) where name.hasSuffix(".safetensors") {
            #expect(throws: Never.self) { _ = try SafeTensorsFile(path: outdir + "/" + run + "/" + name) }
        }
    }

    /// Killed at several moments (snapshots are written every tick, so some kills land inside a
    /// write): every snapshot stays readable and `--resume latest` always continues.
    @Test func killsAtManyMomentsNeverLeaveAnUnreadableSnapshot() throws {
        let outdir = try folder("kills")
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sgan-gpu")
        for (round, delay) in [0.6, 0.9, 1.3, 1.7, 2.2].enumerated() {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["train", "--outdir", outdir, "--kimg", "5"] + (round == 0 ? [] : ["--resume", "latest"]) + tiny
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            for run in try FileManager.default.contentsOfDirectory(atPath: outdir) {
                for name in try FileManager.default.contentsOfDirectory(atPath: outdir + "/" + run) where name.hasSuffix(".safetensors") {
                    let path = outdir + "/" + run + "/" + name
                    #expect(throws: Never.self, "round \(round): \(name)") { _ = try NetworkFile.readStyleGAN2(path: path, device: .cpu) }
                }
            }
        }
        let result = try runCommand(["train", "--outdir", outdir, "--kimg", "0.2", "--resume", "latest"] + tiny)
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("Resuming from") && result.out.contains("Done: 0.2 kimg"))
    }

    @Test func datasetCommandPreparesAndReportsSkippedFiles() throws {
        let source = try folder("dataset-src"), out = try folder("dataset-out")
        let image = try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/images/wide.png"))
        try image.write(to: URL(fileURLWithPath: source + "/a.png"))
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: source + "/b.txt"))
        try Data(image.prefix(40)).write(to: URL(fileURLWithPath: source + "/c.png"))
        let dest = out + "/data"
        let result = try runCommand(["dataset", "--source", source, "--dest", dest, "--resolution", "8", "--transform", "center-crop"])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("skipped b.txt: not a PNG file"))
        #expect(result.out.contains("skipped c.png:"))
        #expect(result.out.contains("wrote 1 images of 8x8"))
        #expect(FileManager.default.fileExists(atPath: dest + "/00000000.png"))
        // Without a transform a non-square image is skipped, and nothing usable is an error.
        let none = try runCommand(["dataset", "--source", source, "--dest", out + "/none", "--resolution", "8"])
        #expect(none.status != 0 && none.err.contains("no usable images") && none.err.contains("not square"))
        #expect(!FileManager.default.fileExists(atPath: out + "/none"))
        let again = try runCommand(["dataset", "--source", source, "--dest", dest, "--resolution", "8"])
        #expect(again.status != 0 && again.err.contains("already exists"))
        let bad = try runCommand(["dataset", "--source", source, "--dest", out + "/x", "--resolution", "12"])
        #expect(bad.status != 0 && bad.err.contains("must be a power of two"))
    }

    /// The official defaults where the user says nothing: dataset_tool.py resizes with lanczos, and
    /// train.py snapshots every 50 ticks.
    @Test func officialDefaults() throws {
        let source = try folder("defaults-src"), out = try folder("defaults-out")
        let image = try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/images/wide.png"))
        try image.write(to: URL(fileURLWithPath: source + "/a.png"))
        func prepared(_ name: String, _ extra: [String]) throws -> Data {
            let result = try runCommand(["dataset", "--source", source, "--dest", out + "/" + name, "--resolution", "4", "--transform", "center-crop"] + extra)
            #expect(result.status == 0, "\(result.err)")
            return try Data(contentsOf: URL(fileURLWithPath: out + "/" + name + "/00000000.png"))
        }
        let plain = try prepared("plain", [])
        #expect(plain == (try prepared("lanczos", ["--filter", "lanczos"])))
        #expect(plain != (try prepared("box", ["--filter", "box"])))

        let outdir = try folder("defaults-train")
        let arguments = tiny.enumerated().filter { i, a in a != "--snap" && (i == 0 || tiny[i - 1] != "--snap") }.map(\.1)
        let trained = try runCommand(["train", "--outdir", outdir, "--kimg", "0.004"] + arguments)
        #expect(trained.status == 0, "\(trained.err)")
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: outdir).first)
        let options = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: outdir + "/" + run + "/training_options.json"))) as? [String: Any])
        #expect(options["snap"] as? Int == 50)
    }

    /// `--resume` of a network file starts a new run from its networks (fine-tuning), with `--freezed`.
    @Test func resumeFromANetworkFileFineTunes() throws {
        let outdir = try folder("finetune")
        let trained = try runCommand(["train", "--outdir", outdir, "--kimg", "0.004"] + tiny)
        #expect(trained.status == 0, "\(trained.err)")
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: outdir).first { !$0.hasPrefix(".") })
        guard case .stylegan2(let networks) = try NetworkFile.read(path: outdir + "/" + run + "/network-snapshot-000000.safetensors", device: .cpu) else {
            Issue.record("not a StyleGAN2 snapshot")
            return
        }
        let file = outdir + "/networks.safetensors"
        try NetworkFile.write(networks, to: file)
        let tuned = try runCommand(["train", "--outdir", outdir, "--kimg", "0.004", "--resume", file, "--freezed", "1"] + tiny)
        #expect(tuned.status == 0, "\(tuned.err)")
        #expect(tuned.out.contains("Starting from the networks of \(file)") && tuned.out.contains("D's first 1 layer frozen"), "\(tuned.out)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outdir).filter { $0.hasPrefix("0") }.count == 2)
        let contradicting = try runCommand(["train", "--outdir", outdir, "--kimg", "0.004", "--resume", file] + tiny.map { $0 == "32" ? "64" : $0 })
        #expect(contradicting.status != 0 && contradicting.err.contains("--cbase 64 contradicts"), "\(contradicting.err)")
    }

    @Test func metricsCommandMeasuresASnapshot() throws {
        let outdir = try folder("metrics")
        let trained = try runCommand(["train", "--outdir", outdir, "--kimg", "0.008"] + tiny)
        #expect(trained.status == 0, "\(trained.err)")
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: outdir).first)
        let dataOut = try folder("metrics-data")
        // A prepared copy of the fixture image at 16×16 (SWD needs 16×16 or more).
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/images")
        let prepared = try runCommand(["dataset", "--source", fixtures.path, "--dest", dataOut + "/d", "--resolution", "16", "--transform", "pad"])
        #expect(prepared.status == 0, "\(prepared.err)")
        let snapshot = outdir + "/" + run + "/network-snapshot-000000.safetensors"
        let wrongSize = try runCommand(["metrics", "--metrics", "swd", "--network", snapshot, "--data", dataOut + "/d", "--num", "4", "--device", "cpu"])
        #expect(wrongSize.status != 0 && wrongSize.err.contains("the data are 3x16x16"))
    }
}
