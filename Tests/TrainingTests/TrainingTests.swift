import Foundation
import Networks
import SafeTensors
import Tensors
import Testing
@testable import Training

/// A tiny StyleGAN2 run on the procedural dataset at 8×8 (a few kilobytes of weights).
func tinyOptions(kimg: Double, preset: String = "small") -> TrainingOptions {
    var o = TrainingOptions()
    o.preset = preset
    o.proceduralResolution = 8
    (o.batch, o.mbstdGroup, o.channelBase, o.channelMax, o.mappingLayers, o.latentSize) = (4, 2, 32, 4, 1, 8)
    (o.kimg, o.tickKimg, o.snapTicks, o.gridColumns, o.gridRows) = (kimg, 0.008, 1, 2, 2)
    (o.gRegInterval, o.dRegInterval) = (2, 3)
    return o
}

func temporaryFolder(_ name: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sgan-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Every tensor of the newest snapshot under `outdir`.
func latestSnapshotTensors(_ outdir: String) throws -> [String: [Float]] {
    let latest = try #require(try TrainingRun.latestSnapshot(outdir: outdir))
    let file = try SafeTensorsFile(path: latest.snapshot)
    return try Dictionary(uniqueKeysWithValues: file.names.map { ($0, try file.floats($0)) })
}

@Suite struct TrainingTests {
    /// N steps, or N/2 steps + resume + N/2 steps, give identical weights, moments and pl_mean.
    @Test(arguments: ["small", "stylegan1-small"])
    func resumeIsExact(_ preset: String) throws {
        var options = tinyOptions(kimg: 0.032, preset: preset)   // 8 batches of 4
        (options.lodInitialResolution, options.lodTrainingKimg, options.lodTransitionKimg) = (4, 0.008, 0.008)
        let straight = try temporaryFolder("straight")
        try TrainingRun(options: options, outdir: straight, resume: nil, device: .cpu).run()

        let split = try temporaryFolder("split")
        var half = options
        half.kimg = 0.016
        try TrainingRun(options: half, outdir: split, resume: nil, device: .cpu).run()
        try TrainingRun(options: options, outdir: split, resume: "latest", device: .cpu).run()

        let a = try latestSnapshotTensors(straight), b = try latestSnapshotTensors(split)
        #expect(a.count == b.count && a.count > 50)
        for (name, values) in a { #expect(b[name] == values, "\(name) differs after resuming") }
        #expect(a.keys.contains { $0.hasPrefix("train.opt.D.v.") })
        // The resumed run kept its folder and logged the resume.
        let runs = try FileManager.default.contentsOfDirectory(atPath: split).filter { !$0.hasPrefix(".") }
        #expect(runs.count == 1)
        let log = try String(contentsOfFile: split + "/" + runs[0] + "/log.txt", encoding: .utf8)
        #expect(log.contains("Resuming from"))
    }

    /// G_ema moves toward G by the official β, and has storage of its own: Adam's in-place steps on G
    /// must not reach it.
    @Test func emaFollowsTheOfficialBeta() throws {
        var options = tinyOptions(kimg: 1)
        options.preset = "stylegan2"
        var preset = try options.resolvedPreset(resolution: 8, channels: 3)
        preset.emaRampup = nil
        preset.emaKimg = 0.01   // β = 0.5^(4/10) per batch of 4
        let trainer = try StyleGAN2Trainer(preset: preset, options: options, device: .cpu)
        let before = try trainer.G.namedParameters().map { try $0.1.value.toArray() }
        let reals = try Tensor.uniform([4, 3, 8, 8], seed: 1)
        try trainer.step(reals: reals, stats: TickStatistics())
        let beta = pow(0.5, 4.0 / 10)
        for ((name, p), (g0, (_, ema))) in zip(trainer.G.namedParameters(), zip(before, trainer.G_ema.namedParameters())) {
            let g1 = try p.value.toArray(), e = try ema.value.toArray()
            for i in g1.indices {
                let expected = Double(g1[i]) + (Double(g0[i]) - Double(g1[i])) * beta
                #expect(abs(Double(e[i]) - expected) <= 1e-6 * max(1, abs(expected)), "\(name)[\(i)]")
            }
        }
    }

    @Test func runFolderHoldsWhatTheIssueLists() throws {
        let outdir = try temporaryFolder("folder")
        try TrainingRun(options: tinyOptions(kimg: 0.016), outdir: outdir, resume: nil, device: .cpu).run()
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: outdir).first)
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: outdir + "/" + run))
        for name in ["training_options.json", "log.txt", "stats.jsonl", "reals.png", "fakes000000.png", "network-snapshot-000000.safetensors"] {
            #expect(files.contains(name), "\(name) missing from \(files.sorted())")
        }
        #expect(!files.contains { $0.contains(".tmp-") })
        let log = try String(contentsOfFile: outdir + "/" + run + "/log.txt", encoding: .utf8)
        let tickLine = try #require(log.split(separator: "\n").first { $0.hasPrefix("tick 0") })
        for field in ["kimg", "time", "sec/tick", "sec/kimg", "maintenance", "cpumem", "gpumem"] {
            #expect(tickLine.contains(field + " "), "tick line lacks \(field): \(tickLine)")
        }
        let stats = try String(contentsOfFile: outdir + "/" + run + "/stats.jsonl", encoding: .utf8).split(separator: "\n")
        let record = try #require(try JSONSerialization.jsonObject(with: Data(stats[0].utf8)) as? [String: Any])
        for key in ["kimg", "sec_per_kimg", "Loss/G/loss", "Loss/D/loss", "Loss/r1_penalty", "Loss/pl_penalty"] {
            #expect(record[key] != nil, "stats.jsonl lacks \(key)")
        }
        // The snapshot renders: it is a network file.
        let snapshot = outdir + "/" + run + "/network-snapshot-000000.safetensors"
        let networks = try NetworkFile.readStyleGAN2(path: snapshot, device: .cpu)
        #expect(networks.G != nil && networks.D != nil && networks.G_ema != nil)
    }

    /// StyleGAN (v1) grows from 4×4 to 8×8 with a fade-in, the stats recording lod and resolution.
    @Test func progressiveGrowingFollowsTheSchedule() throws {
        var options = tinyOptions(kimg: 0.04, preset: "stylegan1-small")
        (options.lodInitialResolution, options.lodTrainingKimg, options.lodTransitionKimg) = (4, 0.008, 0.016)
        let trainer = try StyleGAN1Trainer(preset: options.resolvedPreset(resolution: 8, channels: 3), options: options, device: .cpu)
        // R = 3, start 4×4: lod 1 for 8 images, fading to 0 over the next 16.
        #expect(trainer.lod(kimg: 0) == 1 && trainer.lod(kimg: 0.008) == 1)
        #expect(abs(trainer.lod(kimg: 0.016) - 0.5) < 1e-12 && trainer.lod(kimg: 0.024) == 0 && trainer.lod(kimg: 1) == 0)
        let outdir = try temporaryFolder("grow")
        try TrainingRun(options: options, outdir: outdir, resume: nil, device: .cpu).run()
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: outdir).first)
        let records = try String(contentsOfFile: outdir + "/" + run + "/stats.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let lods = records.compactMap { $0["lod"] as? Double }
        #expect(lods.first == 1 && lods.last == 0)
        #expect(lods.contains { $0 > 0 && $0 < 1 }, "no tick during the fade-in: \(lods)")
        #expect(Set(records.compactMap { $0["resolution"] as? Double }) == [4, 8])
    }

    @Test func badOptionsSayWhatToDo() throws {
        var options = tinyOptions(kimg: 0.01)
        options.batch = 6
        options.mbstdGroup = 4
        #expect { try TrainingRun(options: options, outdir: try temporaryFolder("bad"), resume: nil, device: .cpu) } throws: {
            "\($0)".contains("batch 6 is not divisible by the minibatch-std group size 4")
        }
        options = tinyOptions(kimg: 0.01)
        options.data = "/nonexistent/folder"
        #expect { try TrainingRun(options: options, outdir: try temporaryFolder("bad"), resume: nil, device: .cpu) } throws: {
            "\($0)".contains("/nonexistent/folder does not exist")
        }
        #expect { try TrainingRun(options: tinyOptions(kimg: 0.01), outdir: try temporaryFolder("bad"), resume: "latest", device: .cpu) } throws: {
            "\($0)".contains("no snapshot under")
        }
    }

    @Test func proceduralDatasetIsDeterministic() throws {
        let a = ProceduralDataset(resolution: 16), b = ProceduralDataset(resolution: 16)
        #expect(try a.pixels(at: 7) == b.pixels(at: 7))
        #expect(try a.pixels(at: 7) != a.pixels(at: 8))
        #expect(try a.pixels(at: 0).count == 16 * 16 * 3)
    }

    @Test func prefetcherBatchesDependOnlyOnSeedAndIndex() throws {
        let dataset = ProceduralDataset(resolution: 8, count: 10)
        let first = Prefetcher(dataset: dataset, batchSize: 4, mirror: true, seed: 3)
        let batches = try (0..<5).map { _ in try first.nextBatch(on: .cpu).toArray() }
        let resumed = Prefetcher(dataset: dataset, batchSize: 4, mirror: true, seed: 3, start: 3)
        #expect(try resumed.nextBatch(on: .cpu).toArray() == batches[3])
        #expect(batches[0].allSatisfy { $0 >= -1 && $0 <= 1 })
        first.stop()
        resumed.stop()
    }

    @Test func slicedWassersteinSeparatesDistributions() throws {
        // Two halves of the procedural data are close; the data and an untrained generator are far.
        let dataset = ProceduralDataset(resolution: 16, count: 128)
        var g = StyleGAN2.GeneratorConfig()
        (g.zDim, g.wDim, g.imgResolution, g.mapping.numLayers, g.synthesis.channelBase, g.synthesis.channelMax) = (8, 8, 16, 1, 64, 4)
        // The projections are large matmuls: on OpenCL when there is a platform.
        let device = (try? Device.select("opencl")) ?? .cpu
        let generator = try StyleGAN2.Generator(g, device: device)
        let untrained = try SlicedWasserstein.distance(generator: generator, dataset: dataset, count: 64)
        #expect(untrained.perLevel.count == 1)
        var random = SeededGenerator(seed: 1)
        func images(_ range: Range<Int>) throws -> [[Float]] {
            try range.map { i in
                let p = try dataset.pixels(at: i)
                return (0..<(3 * 256)).map { Float(p[($0 % 256) * 3 + $0 / 256]) }
            }
        }
        let a = SlicedWasserstein.descriptors(try images(0..<64), channels: 3, resolution: 16, levels: 1, random: &random)
        let b = SlicedWasserstein.descriptors(try images(64..<128), channels: 3, resolution: 16, levels: 1, random: &random)
        let same = try SlicedWasserstein.sliced(a[0], b[0], dimension: 147, device: device, random: &random)
        #expect(same < 0.75 * untrained.average, "data vs data \(same), data vs untrained G \(untrained.average)")
    }
}
