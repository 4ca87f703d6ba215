import Foundation
import ImageIO
import Networks
import SafeTensors
import Tensors
import Testing
@testable import Training

/// Fine-tuning from a network file (the official `--resume` of a network pickle) and `--freezed`.
@Suite struct FineTuningTests {
    /// A network file (no training state) holding the networks of a short tiny run.
    static func networkFile() throws -> (path: String, tensors: [String: [Float]]) {
        let outdir = try temporaryFolder("finetune-source")
        try TrainingRun(options: tinyOptions(kimg: 0.008), outdir: outdir, resume: nil, device: .cpu).run()
        let snapshot = try #require(try TrainingRun.latestSnapshot(outdir: outdir)).snapshot
        guard case .stylegan2(let networks) = try NetworkFile.read(path: snapshot, device: .cpu) else {
            throw TrainingError.noGenerator(path: snapshot)
        }
        let path = outdir + "/networks.safetensors"
        try NetworkFile.write(networks, to: path)
        #expect(try !TrainingRun.isTrainingSnapshot(path))
        let file = try SafeTensorsFile(path: path)
        return (path, try Dictionary(uniqueKeysWithValues: file.names.map { ($0, try file.floats($0)) }))
    }

    /// A run started from a network file begins with its G, D and G_ema and fresh counters; with
    /// `freezeD` 2, D's first two layers (b8.fromrgb, b8.conv0) never change while the rest trains.
    @Test func startsFromTheFileAndFreezesTheFirstLayersOfD() throws {
        let (path, source) = try Self.networkFile()
        var options = tinyOptions(kimg: 0.016)
        options.resumeNetwork = path
        options.freezeD = 2
        let outdir = try temporaryFolder("finetune")
        let run = try TrainingRun(options: options, outdir: outdir, resume: nil, device: .cpu)
        let trainer = try #require(run.trainer as? StyleGAN2Trainer)
        #expect(trainer.curNimg == 0 && trainer.batchIndex == 0)
        for (key, tensor) in trainer.G_ema.stateDict() { #expect(try tensor.toArray() == source["G_ema." + key], "G_ema.\(key)") }
        for (key, tensor) in trainer.D.stateDict() { #expect(try tensor.toArray() == source["D." + key], "D.\(key)") }
        #expect(trainer.trainableD.count == trainer.D.namedParameters().count - 4)
        try run.run()

        let trained = try latestSnapshotTensors(outdir)
        for key in ["D.b8.fromrgb.weight", "D.b8.fromrgb.bias", "D.b8.conv0.weight", "D.b8.conv0.bias"] {
            #expect(trained[key] == source[key], "\(key) is frozen and changed")
        }
        for key in ["D.b8.conv1.weight", "D.b4.fc.weight", "G.mapping.fc0.weight"] {
            #expect(trained[key] != source[key], "\(key) did not train")
        }
        #expect(!trained.keys.contains { $0.hasPrefix("train.opt.D.m.b8.conv0.") })
    }

    /// A snapshot of a fine-tuning run with frozen layers resumes exactly.
    @Test func aFineTuningRunResumesExactly() throws {
        let (path, _) = try Self.networkFile()
        var options = tinyOptions(kimg: 0.032)
        options.resumeNetwork = path
        options.freezeD = 3
        try expectResumeIsExact(options)
    }

    /// Options that contradict the file's networks are one clear error, and nothing is written.
    @Test func contradictingOptionsAreRefused() throws {
        let (path, _) = try Self.networkFile()
        var options = tinyOptions(kimg: 0.008)
        options.resumeNetwork = path
        options.channelBase = 64
        let outdir = try temporaryFolder("finetune-refused")
        #expect(throws: TrainingError.contradictsNetworkFile(path: path, option: "--cbase", given: "64", file: "channel_base 32")) {
            try TrainingRun(options: options, outdir: outdir, resume: nil, device: .cpu)
        }
        options.channelBase = nil
        options.proceduralResolution = 16
        #expect(throws: TrainingError.contradictsNetworkFile(path: path, option: "--data", given: "(3x16x16 images)", file: "3x8x8 images")) {
            try TrainingRun(options: options, outdir: outdir, resume: nil, device: .cpu)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outdir).isEmpty)
    }
}

/// Fine-tuning from a network pickle written by NVIDIA's official code and converted by
/// tools/convert_official.py (`Tests/Fixtures/official-network`, made by
/// tools/official_network_fixture.py): 32×32, channels up to 32, on OpenCL where present.
@Suite struct OfficialNetworkFineTuningTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/official-network")
    static var network: String { folder.appendingPathComponent("network-snapshot.safetensors").path }
    static var device: Device { (try? Device.select("opencl")) ?? .cpu }

    /// The converted file computes what the official networks computed.
    @Test func theConvertedNetworksMatchTheOfficialOnes() throws {
        let device = Self.device
        let networks = try NetworkFile.readStyleGAN2(path: Self.network, device: device)
        let g = try #require(networks.G), d = try #require(networks.D), gEma = try #require(networks.G_ema)
        let expected = try SafeTensorsFile(path: Self.folder.appendingPathComponent("expected.safetensors").path)
        func tensor(_ name: String) throws -> Tensor {
            try Tensor(expected.floats(name), shape: try #require(expected.entry(name)).shape, on: device)
        }
        func expectClose(_ got: Tensor, _ name: String) throws {
            let a = try got.toArray(), b = try expected.floats(name)
            #expect(a.count == b.count, "\(name)")
            let error = zip(a, b).map { Swift.abs(Double($0) - Double($1)) }.max() ?? .infinity
            #expect(error <= 1e-4 * Swift.max(1, Double(b.map { Swift.abs($0) }.max() ?? 0)), "\(name): max error \(error)")
        }
        let z = try tensor("z")
        try GradMode.disabled {
            try expectClose(gEma(z, noiseMode: .const), "img_G_ema")
            try expectClose(gEma(z, psi: 0.5, noiseMode: .const), "img_G_ema_psi05")
            let img = try g(z, noiseMode: .const)
            try expectClose(img, "img_G")
            try expectClose(d(img), "logits_D")
        }
    }

    func options(kimg: Double) -> TrainingOptions {
        var o = TrainingOptions()
        (o.resumeNetwork, o.proceduralResolution, o.batch, o.freezeD) = (Self.network, 32, 4, 2)
        (o.kimg, o.tickKimg, o.snapTicks, o.gridColumns, o.gridRows) = (kimg, 0.008, 1, 2, 2)
        (o.aug, o.adaKimg) = (.ada, 0.1)
        return o
    }

    /// The run trains from the official weights: D's first two layers (b32.fromrgb, b32.conv0) stay
    /// as the file has them, everything else moves.
    @Test func fineTunesWithFrozenLayers() throws {
        let source = try SafeTensorsFile(path: Self.network)
        let outdir = try temporaryFolder("official-finetune")
        try TrainingRun(options: options(kimg: 0.016), outdir: outdir, resume: nil, device: Self.device).run()
        let trained = try latestSnapshotTensors(outdir)
        for key in ["D.b32.fromrgb.weight", "D.b32.fromrgb.bias", "D.b32.conv0.weight", "D.b32.conv0.bias"] {
            #expect(try trained[key] == source.floats(key), "\(key) is frozen and changed")
        }
        for key in ["D.b32.conv1.weight", "D.b4.fc.weight", "G.mapping.fc0.weight", "G.synthesis.b32.conv1.weight", "G_ema.synthesis.b8.conv0.weight"] {
            #expect(try trained[key] != source.floats(key), "\(key) did not train")
        }
    }

    /// A snapshot of that run resumes exactly.
    @Test func theFineTuningRunResumesExactly() throws {
        try expectResumeIsExact(options(kimg: 0.032), device: Self.device)
    }
}

/// The reals of Inception metrics: a dataset's content hash is computed once per `DatasetImages`
/// (a run measures at every snapshot), and depends on the files' bytes.
@Suite struct DatasetImagesTests {
    @Test func contentHashIsComputedOnceAndFollowsTheFiles() throws {
        let folder = try temporaryFolder("dataset-hash")
        func write(_ value: UInt8) throws {
            try PNGImage(width: 8, height: 8, channels: 3, pixels: Array(repeating: value, count: 8 * 8 * 3)).write(path: folder + "/a.png")
        }
        try write(7)
        let reals = DatasetImages(try FolderDataset(path: folder))
        let first = try reals.contentHash()
        try write(9)
        #expect(try reals.contentHash() == first, "hashed again")
        #expect(try DatasetImages(try FolderDataset(path: folder)).contentHash() != first)
    }
}
