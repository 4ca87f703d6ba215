import Foundation
import ImageIO
import Networks
import SafeTensors
import Tensors
import TensorsOpenCL
import Testing
@testable import Training

/// A tiny StyleGAN2 run on the procedural dataset at 8×8 (a few kilobytes of weights).
func tinyOptions(kimg: Double, preset: Preset.Name = .small) -> TrainingOptions {
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

/// Runs `options` straight through and as its first half, a resume and the rest; expects every
/// tensor of the final snapshots to be identical. Returns the split run's folder and the tensors.
@discardableResult
func expectResumeIsExact(_ options: TrainingOptions, device: Device = .cpu,
                         sourceLocation: SourceLocation = #_sourceLocation) throws -> (split: String, tensors: [String: [Float]]) {
    let straight = try temporaryFolder("straight")
    try TrainingRun(options: options, outdir: straight, resume: nil, device: device).run()
    let split = try temporaryFolder("split")
    var half = options
    half.kimg = (options.kimg ?? 0) / 2
    try TrainingRun(options: half, outdir: split, resume: nil, device: device).run()
    try TrainingRun(options: options, outdir: split, resume: "latest", device: device).run()
    let a = try latestSnapshotTensors(straight), b = try latestSnapshotTensors(split)
    #expect(a.count == b.count && a.count > 50, sourceLocation: sourceLocation)
    for (name, values) in a { #expect(b[name] == values, "\(name) differs after resuming", sourceLocation: sourceLocation) }
    return (split, a)
}

@Suite struct TrainingTests {
    /// N steps, or N/2 steps + resume + N/2 steps, give identical weights, moments and pl_mean.
    @Test(arguments: [Preset.Name.small, .stylegan1Small])
    func resumeIsExact(_ preset: Preset.Name) throws {
        var options = tinyOptions(kimg: 0.032, preset: preset)   // 8 batches of 4
        (options.lodInitialResolution, options.lodTrainingKimg, options.lodTransitionKimg) = (4, 0.008, 0.008)
        let (split, a) = try expectResumeIsExact(options)
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
        options.preset = .stylegan2
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
        for name in ["training_options.json", "log.txt", "stats.jsonl", "reals.png", "fakes_init.png", "fakes000000.png", "network-snapshot-000000.safetensors"] {
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
        // The official keys, each statistic as {num, mean, std}, and a timestamp.
        for key in ["Progress/tick", "Progress/kimg", "Timing/total_sec", "Timing/sec_per_tick", "Timing/sec_per_kimg",
                    "Timing/maintenance_sec", "Resources/cpu_mem_gb", "Resources/peak_gpu_mem_gb", "Timing/total_hours",
                    "Timing/total_days", "Loss/scores/fake", "Loss/G/loss", "Loss/scores/real", "Loss/D/loss",
                    "Loss/r1_penalty", "Loss/pl_penalty", "Loss/signs/fake", "Loss/signs/real", "Loss/G/reg", "Loss/D/reg"] {
            let statistic = record[key] as? [String: Any]
            #expect(statistic?["num"] is Int && statistic?["mean"] is Double && statistic?["std"] is Double, "stats.jsonl: \(key) is \(String(describing: record[key]))")
        }
        #expect(record["timestamp"] is Double)
        // Scores count every logit of the tick (tick 0: one batch of 4, fakes in Gmain and Dmain).
        let fake = try #require(record["Loss/scores/fake"] as? [String: Any])
        #expect(fake["num"] as? Int == 8, "\(fake)")
        // The snapshot renders: it is a network file.
        let snapshot = outdir + "/" + run + "/network-snapshot-000000.safetensors"
        let networks = try NetworkFile.readStyleGAN2(path: snapshot, device: .cpu)
        #expect(networks.G != nil && networks.D != nil && networks.G_ema != nil)
    }

    /// StyleGAN (v1) grows from 4×4 to 8×8 with a fade-in, the stats recording lod and resolution.
    @Test func progressiveGrowingFollowsTheSchedule() throws {
        var options = tinyOptions(kimg: 0.04, preset: .stylegan1Small)
        (options.lodInitialResolution, options.lodTrainingKimg, options.lodTransitionKimg) = (4, 0.008, 0.016)
        let trainer = try StyleGAN1Trainer(preset: options.resolvedPreset(resolution: 8, channels: 3), options: options, device: .cpu)
        // R = 3, start 4×4: lod 1 for 8 images, fading to 0 over the next 16.
        func lod(_ nimg: Int) -> Double { trainer.schedule.values(nimg: nimg, resolutionLog2: 3).lod }
        #expect(lod(0) == 1 && lod(8) == 1)
        #expect(abs(lod(16) - 0.5) < 1e-12 && lod(24) == 0 && lod(1000) == 0)
        let outdir = try temporaryFolder("grow")
        try TrainingRun(options: options, outdir: outdir, resume: nil, device: .cpu).run()
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: outdir).first)
        let records = try String(contentsOfFile: outdir + "/" + run + "/stats.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        func progress(_ name: String) -> [Double] { records.compactMap { ($0["Progress/" + name] as? [String: Any])?["mean"] as? Double } }
        let lods = progress("lod")
        #expect(lods.first == 1 && lods.last == 0)
        #expect(lods.contains { $0 > 0 && $0 < 1 }, "no tick during the fade-in: \(lods)")
        #expect(Set(progress("resolution")) == [4, 8])
    }

    @Test func badOptionsSayWhatToDo() throws {
        var options = tinyOptions(kimg: 0.01)
        options.batch = 6
        options.mbstdGroup = 4
        #expect(throws: TrainingError.batchNotDivisible(batch: 6, mbstdGroup: 4)) {
            try TrainingRun(options: options, outdir: try temporaryFolder("bad"), resume: nil, device: .cpu)
        }
        options = tinyOptions(kimg: 0.01)
        options.data = "/nonexistent/folder"
        #expect(throws: DatasetError.notAFolder(path: "/nonexistent/folder")) {
            try TrainingRun(options: options, outdir: try temporaryFolder("bad"), resume: nil, device: .cpu)
        }
        let empty = try temporaryFolder("bad")
        #expect(throws: TrainingError.noSnapshotToResume(outdir: empty)) {
            try TrainingRun(options: tinyOptions(kimg: 0.01), outdir: empty, resume: "latest", device: .cpu)
        }
    }

    /// The official setup_snapshot_image_grid: 7680/R × 4320/R cells within 7–32 × 4–32, filled
    /// with the dataset's indices shuffled by RandomState(seed), repeated for small datasets.
    @Test func realsGridFollowsTheOfficialPick() throws {
        #expect(TrainingRun.officialGrid(resolution: 32) == (32, 32))
        #expect(TrainingRun.officialGrid(resolution: 256) == (30, 16))
        #expect(TrainingRun.officialGrid(resolution: 1024) == (7, 4))
        #expect(TrainingRun.realGridIndices(count: 12, datasetCount: 10, seed: 0) == [2, 8, 4, 9, 1, 6, 7, 3, 0, 5, 2, 8])
        // With no --grid, a run uses the official size: 8×8 images give a 32×32 grid.
        var options = tinyOptions(kimg: 0.004)
        (options.gridColumns, options.gridRows) = (nil, nil)
        let outdir = try temporaryFolder("grid")
        try TrainingRun(options: options, outdir: outdir, resume: nil, device: .cpu).run()
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: outdir).first)
        for name in ["reals.png", "fakes_init.png", "fakes000000.png"] {
            let png = try PNGImage.read(path: outdir + "/" + run + "/" + name)
            #expect((png.width, png.height) == (32 * 8, 32 * 8), "\(name)")
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

/// StyleGAN (v1)'s `training_schedule` against the official tables (NVlabs/stylegan at 1e0d5c7:
/// `train.py`'s FFHQ configuration, `training_loop.py`'s defaults).
@Suite struct StyleGAN1ScheduleTests {
    /// The first images of each resolution's stable phase, with lod_initial_resolution 8 and 600 +
    /// 600 kimg per phase: resolution 8·2^p from kimg 1200·p.
    @Test func ffhqBatchRateAndTickAtEachResolution() throws {
        let preset = try Preset.named(.stylegan1FFHQ, resolution: 1024)
        let schedule = try #require(preset.scheduleV1)
        let minibatch = [8: 256, 16: 128, 32: 64, 64: 32, 128: 32, 256: 32, 512: 32, 1024: 32]
        let lrate = [8: 0.001, 16: 0.001, 32: 0.001, 64: 0.001, 128: 0.0015, 256: 0.002, 512: 0.003, 1024: 0.003]
        let tick = [8: 140.0, 16: 120, 32: 100, 64: 80, 128: 60, 256: 40, 512: 30, 1024: 20]
        for (phase, resolution) in [8, 16, 32, 64, 128, 256, 512, 1024].enumerated() {
            let values = schedule.values(nimg: phase * 1_200_000, resolutionLog2: 10)
            #expect(values.resolution == resolution && values.lod == Double(7 - phase))
            #expect(values.minibatch == minibatch[resolution] && values.gLrate == lrate[resolution] && values.dLrate == lrate[resolution],
                    "\(resolution): \(values)")
            #expect(values.tickKimg == tick[resolution], "\(resolution): \(values)")
        }
        // Halfway through a fade-in the resolution fading in is trained, with its batch and rate.
        let fade = schedule.values(nimg: 900_000, resolutionLog2: 10)
        #expect(fade.lod == 6.5 && fade.resolution == 16 && fade.minibatch == 128)
        // Starting at 4×4 as training_schedule's default: minibatch 512, tick 160.
        var fromFour = schedule
        fromFour.lodInitialResolution = 4
        let four = fromFour.values(nimg: 0, resolutionLog2: 10)
        #expect(four.resolution == 4 && four.minibatch == 512 && four.tickKimg == 160)
        #expect(preset.mirror, "the official FFHQ configuration mirrors")
    }

    /// --batch caps every resolution's minibatch and replaces minibatch_base; --lrate replaces the tables.
    @Test func batchAndLrateOverrideTheSchedule() throws {
        var options = TrainingOptions()
        options.preset = .stylegan1FFHQ
        (options.batch, options.learningRate) = (16, 0.002)
        let schedule = try #require(try options.resolvedPreset(resolution: 256, channels: 3).scheduleV1)
        #expect(schedule.minibatchSizes(resolutionLog2: 8) == [16, 16, 16, 16, 16, 16, 16])
        let values = schedule.values(nimg: 0, resolutionLog2: 8)
        #expect(values.minibatch == 16 && values.gLrate == 0.002 && values.dLrate == 0.002)
        options.batch = 6
        #expect(throws: TrainingError.batchNotDivisible(batch: 6, mbstdGroup: 4)) { try options.resolvedPreset(resolution: 256, channels: 3) }
    }

    /// A run whose minibatch changes at a resolution change (8 at 4×4, 4 at 8×8) trains with those
    /// sizes, and stopping mid-group after the change and resuming gives the same weights.
    @Test func resumeIsExactAcrossAResolutionChange() throws {
        var options = tinyOptions(kimg: 0.064, preset: .stylegan1Small)
        (options.lodInitialResolution, options.lodTrainingKimg, options.lodTransitionKimg) = (4, 0.016, 0.032)
        options.tickKimg = nil
        func adjust(_ preset: inout Preset) {
            preset.scheduleV1?.maxMinibatch = nil
            preset.scheduleV1?.minibatchDict = [4: 8, 8: 4]
            preset.scheduleV1?.gLrateDict = [4: 0.002]
            preset.scheduleV1?.dLrateDict = [8: 0.0005]
            preset.scheduleV1?.tickKimgBase = 0.008
            preset.scheduleV1?.tickKimgDict = [:]
        }
        let straight = try temporaryFolder("sched-straight")
        try TrainingRun(options: options, outdir: straight, resume: nil, device: .cpu, adjustPreset: adjust).run()
        let split = try temporaryFolder("sched-split")
        var part = options
        part.kimg = 0.040   // batches of 8, 8, 8, 8, then 4, 4: stops in the middle of a group of four
        try TrainingRun(options: part, outdir: split, resume: nil, device: .cpu, adjustPreset: adjust).run()
        try TrainingRun(options: options, outdir: split, resume: "latest", device: .cpu, adjustPreset: adjust).run()
        let a = try latestSnapshotTensors(straight), b = try latestSnapshotTensors(split)
        #expect(a.count == b.count && a.count > 50)
        for (name, values) in a { #expect(b[name] == values, "\(name) differs after resuming") }

        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: straight).first)
        let records = try String(contentsOfFile: straight + "/" + run + "/stats.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let pairs = records.compactMap { record -> [Double]? in
            guard let r = (record["Progress/resolution"] as? [String: Any])?["mean"] as? Double,
                  let m = (record["Progress/minibatch"] as? [String: Any])?["mean"] as? Double else { return nil }
            return [r, m]
        }
        #expect(Set(pairs) == [[4, 8], [8, 4]], "\(pairs)")
    }
}
