import Distributed
import Foundation
import ImageIO
import Metrics
import Networks
import Rendering
import SafeTensors
import Tensors

/// A training run: its folder, the loop over batches, ticks, logs, sample grids, snapshots and
/// metrics, and resuming (the official `training_loop` around a `Trainer`).
public final class TrainingRun {
    public let options: TrainingOptions
    public let folder: URL
    /// The locked folder that every file of the run is written through; nil on MPI ranks other than 0.
    let runFolder: RunFolder?
    public let device: Device
    let dataset: ImageDataset
    let trainer: Trainer
    /// How long the run trains, in thousands of images: `options.kimg`, else the preset's.
    let totalKimg: Double
    let gridLatents: Tensor
    /// Sample grid size: columns × rows.
    let grid: (columns: Int, rows: Int)
    /// Whether reals are x-flipped at random.
    let mirror: Bool
    /// What computes `options.metrics` at each snapshot (nil when there are none).
    let inception: InceptionMetrics?
    let inceptionMetrics: [InceptionMetric]
    /// The dataset as the reals of the Inception metrics (its content hash computed once per run).
    private(set) lazy var reals = DatasetImages(dataset)
    var tick = 0
    /// The MPI ranks the run trains on (nil: this process alone). Rank 0 alone writes the run
    /// folder and prints; the others write nothing.
    let world: MPIWorld?
    /// Whether this process writes the run folder (rank 0).
    var writes: Bool { (world?.rank ?? 0) == 0 }
    /// Whether progress bars go to standard error (a terminal).
    let interactive = isatty(STDERR_FILENO) != 0

    /// Prepares a run in a new folder under `outdir` (or, resuming `latest`, in the newest run's
    /// folder); `resume` is nil, `latest` or a snapshot file.
    /// `inception` computes the Inception metrics of `options.metrics` (on resume: the run's own).
    /// `world`: the MPI ranks of a run started by `mpirun` (every rank constructs its `TrainingRun`).
    public convenience init(options: TrainingOptions, outdir: String, resume: String?, device: Device,
                            inception: InceptionMetrics? = nil, world: MPIWorld? = nil) throws {
        try self.init(options: options, outdir: outdir, resume: resume, device: device, inception: inception, world: world,
                      adjustPreset: { _ in })
    }

    /// As above, with the resolved preset changed by `adjustPreset` (tests use it for schedules no
    /// option gives).
    init(options: TrainingOptions, outdir: String, resume: String?, device: Device, inception: InceptionMetrics? = nil,
         world: MPIWorld? = nil, adjustPreset: (inout Preset) -> Void) throws {
        let world = (world?.size ?? 1) > 1 ? world : nil
        self.world = world
        let writes = (world?.rank ?? 0) == 0
        var options = options
        var snapshot: String? = nil
        var lockedFolder: RunFolder? = nil
        if resume == "latest" {
            guard let latest = try TrainingRun.latestSnapshot(outdir: outdir) else {
                throw TrainingError.noSnapshotToResume(outdir: outdir)
            }
            // One writer per run folder: refused while that run is still training.
            if writes { lockedFolder = try RunFolder(locking: latest.folder) }
            snapshot = latest.snapshot
            // The run continues with its own options, except for how long it trains when --kimg is given.
            let optionsPath = latest.folder.appendingPathComponent("training_options.json").path
            let saved: TrainingOptions
            do {
                saved = try JSONDecoder().decode(TrainingOptions.self, from: Data(contentsOf: URL(fileURLWithPath: optionsPath)))
            } catch {
                throw TrainingError.unreadableRunOptions(path: optionsPath, reason: describeError(error), snapshot: latest.snapshot)
            }
            let kimg = options.kimg
            options = saved
            if let kimg { options.kimg = kimg }
        } else if let resume {
            guard FileManager.default.fileExists(atPath: resume) else { throw TrainingError.resumeSnapshotMissing(path: resume) }
            snapshot = resume
        }
        self.options = options
        self.device = device
        inceptionMetrics = options.metrics ?? []
        if let first = inceptionMetrics.first, inception == nil { throw MetricsError.inceptionWeightsNeeded(metric: first.name) }
        self.inception = inceptionMetrics.isEmpty ? nil : inception
        dataset = try options.data.map(openDataset) ?? ProceduralDataset(resolution: options.proceduralResolution)
        var preset = try options.resolvedPreset(resolution: dataset.resolution, channels: dataset.channels)
        adjustPreset(&preset)
        // Fine-tuning: the networks' architecture comes from the network file (on resume, from the
        // run's snapshot, which holds the same networks), and the run starts from its weights.
        var initialNetworks: NetworkFile.StyleGAN2Networks? = nil
        if let source = options.resumeNetwork {
            let file = snapshot ?? source
            guard FileManager.default.fileExists(atPath: file) else { throw TrainingError.resumeSnapshotMissing(path: file) }
            let configs: (generator: StyleGAN2.GeneratorConfig, discriminator: StyleGAN2.DiscriminatorConfig)
            if snapshot == nil {
                // A new run: the networks themselves, to start from.
                guard case .stylegan2(let networks) = try NetworkFile.read(path: file, device: device) else {
                    throw TrainingError.fineTuningStyleGAN1(path: file)
                }
                guard let g = networks.G, let d = networks.D, networks.G_ema != nil else {
                    throw TrainingError.fineTuningNeedsAllNetworks(path: file)
                }
                (configs, initialNetworks) = ((g.config, d.config), networks)
            } else {
                // Resuming: the snapshot's networks are read by the trainer's restore; the header suffices here.
                guard let header = try NetworkFile.styleGAN2Configurations(SafeTensorsFile(path: file)) else {
                    throw TrainingError.fineTuningStyleGAN1(path: file)
                }
                configs = header
            }
            try TrainingRun.checkAgainstNetworkFile(options, generator: configs.generator, discriminator: configs.discriminator,
                                                    dataset: dataset, path: source)
            var discriminator = configs.discriminator
            if let group = options.mbstdGroup { discriminator.mbstdGroupSize = group }
            (preset.generator, preset.discriminator) = (configs.generator, discriminator)
        }
        // The augmentation options are checked for every architecture (StyleGAN v1 refuses any).
        _ = try options.augmentSetup(architecture: preset.architecture, resolution: dataset.resolution, channels: dataset.channels)
        if let world {
            try TrainingRun.checkRanksAgree(world, options: options, resume: snapshot ?? options.resumeNetwork)
            guard preset.architecture == .stylegan2 else { throw TrainingError.ranksNeedStyleGAN2(ranks: world.size) }
            let batchGPU = options.batchGPU ?? preset.batch / world.size
            guard batchGPU >= 1, preset.batch % (batchGPU * world.size) == 0 else {
                throw TrainingError.batchNotDivisibleOverRanks(batch: preset.batch, batchGPU: batchGPU, ranks: world.size)
            }
            options.batchGPU = batchGPU
        }
        let needed = TrainingRun.estimatedBytes(preset), available = TrainingRun.memoryBytes(of: device)
        guard needed <= available else {
            throw TrainingError.notEnoughMemory(neededBytes: needed, availableBytes: available, device: "\(device)")
        }
        totalKimg = options.kimg ?? Double(preset.totalKimg)
        mirror = options.mirror ?? preset.mirror
        let official = TrainingRun.officialGrid(resolution: dataset.resolution)
        grid = (options.gridColumns ?? official.columns, options.gridRows ?? official.rows)
        switch preset.architecture {
        case .stylegan2:
            let stylegan2 = try StyleGAN2Trainer(preset: preset, options: options, device: device)
            stylegan2.world = world
            trainer = stylegan2
        case .stylegan1: trainer = try StyleGAN1Trainer(preset: preset, options: options, device: device)
        }
        var random = NumpyRandomState(seed: UInt32(truncatingIfNeeded: options.seed))
        let count = grid.columns * grid.rows
        gridLatents = try Tensor(random.randn(count * trainer.generator.zDim), shape: [count, trainer.generator.zDim], on: device)
        let trainer = self.trainer
        if let initialNetworks, let source = options.resumeNetwork {
            guard let trainer = trainer as? StyleGAN2Trainer else { throw TrainingError.fineTuningStyleGAN1(path: source) }
            try trainer.initialize(from: initialNetworks, path: source)
        }
        let resumed = try snapshot.map { try trainer.restore(from: $0) }
        // Every rank starts from rank 0's weights.
        try (trainer as? StyleGAN2Trainer)?.broadcastNetworks()

        // Everything is checked: only now is anything written (a refused start leaves nothing behind).
        let runFolder = writes ? try lockedFolder ?? TrainingRun.newRunFolder(outdir: outdir, options: options) : nil
        runFolder?.removeLeftovers()
        self.runFolder = runFolder
        folder = runFolder?.url ?? URL(fileURLWithPath: outdir)
        if let source = options.resumeNetwork, snapshot == nil {
            let frozen = options.freezeD ?? 0
            try say("Starting from the networks of \(source) (G, D and G_ema; fresh optimizers and counters)"
                    + (frozen > 0 ? "; D's first \(frozen) layer\(frozen == 1 ? "" : "s") frozen" : ""))
        }
        if let resumed, let snapshot {
            tick = resumed.tick
            try say("Resuming from \(snapshot) at \(String(format: "%.1f", Double(resumed.curNimg) / 1000)) kimg")
        }
        if let runFolder, !FileManager.default.fileExists(atPath: folder.appendingPathComponent("training_options.json").path) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(options)
            try runFolder.write("training_options.json") { try data.write(to: URL(fileURLWithPath: $0), options: .atomic) }
        }
    }

    /// Throws when an option given contradicts the networks of the file a fine-tuning run starts
    /// from, or the dataset does not fit them.
    static func checkAgainstNetworkFile(_ options: TrainingOptions, generator g: StyleGAN2.GeneratorConfig,
                                        discriminator d: StyleGAN2.DiscriminatorConfig, dataset: ImageDataset, path: String) throws {
        func check(_ option: String, _ given: Int?, _ file: Int, _ what: String) throws {
            if let given, given != file {
                throw TrainingError.contradictsNetworkFile(path: path, option: option, given: "\(given)", file: "\(what) \(file)")
            }
        }
        try check("--cbase", options.channelBase, g.synthesis.channelBase, "channel_base")
        try check("--cmax", options.channelMax, g.synthesis.channelMax, "channel_max")
        try check("--map", options.mappingLayers, g.mapping.numLayers, "mapping layers")
        try check("--zdim", options.latentSize, g.zDim, "z_dim")
        let (r, c) = (dataset.resolution, dataset.channels)
        if r != g.imgResolution || c != g.imgChannels || r != d.imgResolution {
            throw TrainingError.contradictsNetworkFile(
                path: path, option: "--data", given: "(\(c)x\(r)x\(r) images)", file: "\(g.imgChannels)x\(g.imgResolution)x\(g.imgResolution) images")
        }
    }

    /// Whether `path` is a training snapshot (it holds the training state), not a plain network file.
    public static func isTrainingSnapshot(_ path: String) throws -> Bool {
        try SafeTensorsFile(path: path).metadata[TrainState.key] != nil
    }

    /// A lower bound of the memory a training run of `preset` needs: G, G_ema and D with Adam's two
    /// moments and a gradient each, and one batch's feature maps in G and D.
    static func estimatedBytes(_ preset: Preset) -> Double {
        let (g, d): (Double, Double)
        var activations = 0.0
        if let gc = preset.generator, let dc = preset.discriminator {
            (g, d) = (gc.estimatedParameters, dc.estimatedParameters)
            var res = 4
            while res <= gc.imgResolution {
                activations += Double(gc.channels(at: res) + dc.channels(at: res)) * Double(res * res)
                res *= 2
            }
        } else if let gc = preset.generatorV1, let dc = preset.discriminatorV1 {
            (g, d) = (gc.estimatedParameters, dc.estimatedParameters)
            for log2 in 2...gc.resolutionLog2 { activations += Double(gc.nf(log2 - 1) + dc.nf(log2 - 1)) * Double(1 << (2 * log2)) }
        } else {
            return 0
        }
        let batch = Double(preset.scheduleV1.map { $0.minibatchSizes(resolutionLog2: preset.generatorV1!.resolutionLog2).max() ?? preset.batch } ?? preset.batch)
        return 4 * (5 * g + 4 * d) + 4 * 2 * batch * activations
    }

    /// The memory of `device`: an OpenCL device's global memory, or the machine's for the CPU reference.
    static func memoryBytes(of device: Device) -> Double {
        Double(device.backend.memoryBytes ?? Int(clamping: ProcessInfo.processInfo.physicalMemory))
    }

    /// The official `setup_snapshot_image_grid` size: 7680 / R columns (7 to 32) and 4320 / R rows (4 to 32).
    public static func officialGrid(resolution: Int) -> (columns: Int, rows: Int) {
        (Swift.min(Swift.max(7680 / resolution, 7), 32), Swift.min(Swift.max(4320 / resolution, 4), 32))
    }

    /// `outdir/NNNNN-<preset>-<data>`, numbered after the existing runs, created and locked.
    static func newRunFolder(outdir: String, options: TrainingOptions) throws -> RunFolder {
        let data = options.data.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? "procedural"
        return try RunFolder.create(outdir: outdir, suffix: "\(options.preset.rawValue)-\(data)")
    }

    /// The newest complete snapshot of the newest run under `outdir` that has one.
    static func latestSnapshot(outdir: String) throws -> (folder: URL, snapshot: String)? {
        guard let runs = try? FileManager.default.contentsOfDirectory(atPath: outdir) else { return nil }
        for run in runs.filter({ Int($0.prefix(5)) != nil }).sorted().reversed() {
            let folder = URL(fileURLWithPath: outdir).appendingPathComponent(run)
            if let last = snapshots(in: folder).last { return (folder, folder.appendingPathComponent(last.name).path) }
        }
        return nil
    }

    /// The snapshots of a run folder, oldest first (by the kimg in their names).
    static func snapshots(in folder: URL) -> [(kimg: Double, name: String)] {
        let (prefix, suffix) = ("network-snapshot-", ".safetensors")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(suffix) && !$0.contains(".tmp-") }
            .compactMap { name in Double(name.dropFirst(prefix.count).dropLast(suffix.count)).map { ($0, name) } }
            .sorted { $0.kimg < $1.kimg }
    }

    /// The kimg part of snapshot and grid names: the official `{kimg:06d}` (`000040`), unless `taken`
    /// says an earlier tick of the run already used it (ticks shorter than 1 kimg); then with the
    /// images beyond the whole kimg (`000040.256`), so that no tick overwrites another's files.
    /// Either way the names sort by the images shown.
    static func kimgName(nimg: Int, taken: (String) -> Bool = { _ in false }) -> String {
        let plain = String(format: "%06d", nimg / 1000)
        return taken(plain) ? plain + String(format: ".%03d", nimg % 1000) : plain
    }

    /// `kimgName` for this run's folder: taken when a snapshot of that name exists.
    func kimgName(nimg: Int) -> String {
        TrainingRun.kimgName(nimg: nimg) { FileManager.default.fileExists(atPath: folder.appendingPathComponent("network-snapshot-\($0).safetensors").path) }
    }

    /// Prints `line` and appends it to log.txt (rank 0 alone, across ranks).
    func say(_ line: String) throws {
        guard writes else { return }
        print(line)
        try runFolder?.appendLine(line, to: "log.txt")
    }

    /// Refuses a start whose ranks were given different options or resume from different files
    /// (their contents' SHA-256 is compared), before the first step.
    static func checkRanksAgree(_ world: MPIWorld, options: TrainingOptions, resume: String?) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var hash = SHA256()
        hash.update(try encoder.encode(options))
        if let resume { hash.update(try Data(contentsOf: URL(fileURLWithPath: resume))) }
        // The digest's first 12 hex digits, exact in a Double.
        let digest = [Double(UInt64(hash.hexDigest().prefix(12), radix: 16)!)]
        let all = try world.allgather(digest)
        if let other = all.firstIndex(where: { $0 != all[0] }) {
            throw TrainingError.ranksDisagree(rank: other, what: resume == nil ? "options" : "options or a file to resume from")
        }
    }

    /// Trains until `totalKimg` thousand images, ticking every `tickKimg`. With `stopOnSignals`,
    /// SIGINT and SIGTERM end the current step, write a snapshot, log the line that resumes, and
    /// throw `TrainingStopped`; a second signal stops the process at once.
    public func run(stopOnSignals: Bool = false) throws {
        let signals = stopOnSignals ? StopSignals(rank: world?.rank) : nil
        defer { withExtendedLifetime(signals) {} }
        try say("Training \(options.preset.rawValue) on \(dataset.name) (\(dataset.count) images of \(dataset.resolution)x\(dataset.resolution)) on \(device) in \(folder.path)")
        for note in dataset.notes { try say("dataset: \(note)") }
        if trainer.curNimg == 0 && writes {
            try writeGrid(name: "reals.png", images: realGrid())
            try writeGrid(name: "fakes_init.png", images: fakeGrid())
        }
        let totalNimg = Int(totalKimg * 1000)
        let startTime = Date()
        var tickStart = (nimg: trainer.curNimg, time: Date())
        var maintenance = 0.0
        let stats = TickStatistics()
        let prefetcher = Prefetcher(dataset: dataset, sizes: trainer.batchSizes, mirror: mirror,
                                    seed: options.seed, startBatch: trainer.batchIndex, startNimg: trainer.curNimg)
        defer { prefetcher.stop() }
        var pending: [DeviceFence] = []
        var done = trainer.curNimg >= totalNimg
        while !done {
            let reals = try prefetcher.nextBatch(on: device)
            for problem in prefetcher.newlySkipped() { try say("warning: skipped an image: \(problem)") }
            try trainer.step(reals: reals, stats: stats)
            // Keep at most two steps in flight: before queuing a third, wait for the oldest.
            pending.append(try DeviceFence(device))
            if pending.count >= 2 { try pending.removeFirst().wait() }
            done = trainer.curNimg >= totalNimg
            var signal = signals?.received
            if let world {
                // Every rank stops after the same step: the signal any rank received.
                var received = [Double(signal ?? 0)]
                try world.allreduceMax(&received)
                signal = received[0] > 0 ? Int32(received[0]) : nil
            }
            if let signal, !done {
                let kimg = kimgName(nimg: trainer.curNimg)
                let name = "network-snapshot-\(kimg).safetensors", trainer = self.trainer, next = tick
                try (trainer as? StyleGAN2Trainer)?.foldAdaSigns()
                try runFolder?.write(name) { try trainer.writeSnapshot($0, tick: next) }
                let outdir = folder.deletingLastPathComponent().path
                let stopped = TrainingStopped(signal: signal, snapshot: folder.appendingPathComponent(name).path,
                                              resumeCommand: "sgan-gpu train --outdir \(outdir) --resume latest")
                try say("Stopped by \(StopSignals.name(signal)) at \(String(format: "%.3f", Double(trainer.curNimg) / 1000)) kimg; wrote \(name); continue with: \(stopped.resumeCommand)")
                throw stopped
            }
            let tickEnd = tickStart.nimg + Int((options.tickKimg ?? trainer.tickKimg) * 1000)
            if interactive && !done {
                let fraction = Double(trainer.curNimg - tickStart.nimg) / Double(tickEnd - tickStart.nimg)
                let filled = Int(Swift.min(Swift.max(fraction, 0), 1) * 30)
                FileHandle.standardError.write(Data("\r[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: 30 - filled))] tick \(tick) \(String(format: "%.1f", Double(trainer.curNimg) / 1000)) kimg".utf8))
            }
            if !done && tick != 0 && trainer.curNimg < tickEnd { continue }
            if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }

            // Tick: report, then maintenance (grids, snapshots, metrics).
            let values = try stats.collect(world: world)   // reads the device: the tick's work has finished
            try (trainer as? StyleGAN2Trainer)?.foldAdaSigns()
            let progress = trainer.progressFields()
            let tickEndTime = Date()
            let seconds = tickEndTime.timeIntervalSince(tickStart.time)
            let secPerKimg = seconds / Double(Swift.max(trainer.curNimg - tickStart.nimg, 1)) * 1000
            var fields = [
                "tick \(pad(String(tick), 5))",
                "kimg \(pad(String(format: "%.1f", Double(trainer.curNimg) / 1000), 8))",
                "time \(pad(formatTime(tickEndTime.timeIntervalSince(startTime)), 12))",
                "sec/tick \(pad(String(format: "%.1f", seconds), 7))",
                "sec/kimg \(pad(String(format: "%.2f", secPerKimg), 7))",
                "maintenance \(pad(String(format: "%.1f", maintenance), 6))",
                "cpumem \(pad(String(format: "%.2f", residentGiB()), 6))",
                "gpumem \(pad(String(format: "%.2f", deviceGiB()), 6))",
            ]
            fields += progress.map { "\($0.name) \($0.text)" }
            try say(fields.joined(separator: " "))
            if tick == 0, case let compiled = device.backend.statistics, compiled.compileSeconds > 2 {
                // Drivers compile at build time and again at the first launch of each kernel (PoCL
                // specialises for the work-group size then): the build time alone understates it.
                try say("tick 0 took \(String(format: "%.1f", seconds)) s, most of it compiling \(compiled.compiledPrograms) OpenCL programs for this device, once: later runs reuse the driver's cache and start in seconds")
            }
            let maintenanceStart = Date()
            // The official stats.jsonl: each statistic as {num, mean, std}, and a timestamp.
            let totalSeconds = tickEndTime.timeIntervalSince(startTime)
            var scalars: [(String, Double)] = [
                ("Progress/tick", Double(tick)), ("Progress/kimg", Double(trainer.curNimg) / 1000),
                ("Timing/total_sec", totalSeconds), ("Timing/sec_per_tick", seconds), ("Timing/sec_per_kimg", secPerKimg),
                ("Timing/maintenance_sec", maintenance), ("Resources/cpu_mem_gb", residentGiB()), ("Resources/peak_gpu_mem_gb", deviceGiB()),
                ("Timing/total_hours", totalSeconds / 3600), ("Timing/total_days", totalSeconds / 86400),
            ]
            scalars += progress.map { ("Progress/\($0.name)", $0.value) }
            var record: [String: Any] = ["timestamp": tickEndTime.timeIntervalSince1970]
            for (name, value) in scalars { record[name] = TrainingRun.jsonStatistic(TickStatistics.Moments(num: 1, mean: value, std: 0)) }
            for (statistic, moments) in values { record[statistic.rawValue] = TrainingRun.jsonStatistic(moments) }
            try appendJSONLine(record, to: "stats.jsonl")
            let shownKimg = Double(trainer.curNimg) / 1000
            let latest: String? = TrainingRun.snapshots(in: folder).last.map { folder.appendingPathComponent($0.name).path }
            for (statistic, moments) in values where !moments.mean.isFinite {
                throw TrainingError.nonFiniteStatistic(statistic, value: moments.mean,
                                                      tick: tick, kimg: shownKimg, lastSnapshot: latest)
            }
            if let bad = try trainer.firstNonFiniteParameter() {
                throw TrainingError.nonFiniteParameter(name: bad, tick: tick, kimg: shownKimg, lastSnapshot: latest)
            }
            if writes && (done || tick % options.snapTicks == 0) {
                let kimg = kimgName(nimg: trainer.curNimg)
                try writeGrid(name: "fakes\(kimg).png", images: fakeGrid())
                let trainer = self.trainer, next = tick + 1
                try runFolder?.write("network-snapshot-\(kimg).safetensors") { try trainer.writeSnapshot($0, tick: next) }
                try measure(snapshot: "network-snapshot-\(kimg).safetensors")
            }
            if writes && options.metricsTicks > 0 && (done || tick % options.metricsTicks == 0) {
                let swd = try SlicedWasserstein.distance(generator: trainer.generator, dataset: dataset, count: 1024, seed: options.seed)
                try appendJSONLine(["tick": tick, "kimg": Double(trainer.curNimg) / 1000, "swd": swd.average,
                                    "swd_per_level": swd.perLevel], to: "metrics.jsonl")
                try say("swd \(String(format: "%.4f", swd.average)) (per level, x1e3: \(swd.perLevel.map { String(format: "%.2f", $0 * 1000) }.joined(separator: " ")))")
            }
            tick += 1
            maintenance = Date().timeIntervalSince(maintenanceStart)
            tickStart = (trainer.curNimg, Date())
        }
        try say("Done: \(String(format: "%.1f", Double(trainer.curNimg) / 1000)) kimg")
    }

    /// The Inception metrics of G_ema against the dataset, each as one line of metrics.jsonl in the
    /// official `metric-<name>.jsonl` form (`results`, `metric`, `total_time`, `snapshot_pkl`, ...).
    func measure(snapshot: String) throws {
        guard let inception, !inceptionMetrics.isEmpty else { return }
        let start = Date()
        let fakes = GeneratedImages(generator: trainer.generator, count: inceptionMetrics.map(\.generated).max()!,
                                    seed: UInt32(truncatingIfNeeded: options.seed), batchSize: inception.batchSize)
        for (metric, value) in try inception.compute(inceptionMetrics, reals: reals, fakes: fakes,
                                                       kidSeed: UInt32(truncatingIfNeeded: options.seed)) {
            let seconds = Date().timeIntervalSince(start)
            try appendJSONLine(["results": [metric.name: value], "metric": metric.name, "total_time": seconds,
                                "total_time_str": formatTime(seconds), "num_gpus": 1,
                                "snapshot_pkl": snapshot, "timestamp": Date().timeIntervalSince1970,
                                "kimg": Double(trainer.curNimg) / 1000], to: "metrics.jsonl")
            try say("\(metric.name) \(String(format: "%.4f", value)) (\(String(format: "%.0f", seconds)) s)")
        }
    }

    /// `{"num": n, "mean": m, "std": s}`, non-finite numbers written as strings (JSON has no NaN).
    static func jsonStatistic(_ moments: TickStatistics.Moments) -> [String: Any] {
        func number(_ x: Double) -> Any { x.isFinite ? x : "\(x)" }
        return ["num": moments.num, "mean": number(moments.mean), "std": number(moments.std)]
    }

    func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }

    /// One JSON line, written whole or not at all.
    func appendJSONLine(_ record: [String: Any], to name: String) throws {
        let json = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        try runFolder?.appendLine(String(decoding: json, as: UTF8.self), to: name)
    }

    /// G_ema's images of the grid latents, made in chunks of the first batch's size (as the official
    /// code splits the grid by `batch_gpu`): the official grid holds up to 1,024 images.
    func fakeGrid() throws -> Tensor {
        let chunk = Swift.max(1, trainer.batchSizes.first), count = gridLatents.shape[0]
        let parts = try stride(from: 0, to: count, by: chunk).map { start in
            try trainer.gridImages(gridLatents.slice(axis: 0, start..<Swift.min(start + chunk, count)))
        }
        return parts.count == 1 ? parts[0] : try Tensor.concat(parts, axis: 0)
    }

    /// A grid image (columns × rows) of `[N, C, R, R]` images.
    func writeGrid(name: String, images: Tensor) throws {
        let tiles = try Renderer.quantize(images)
        let (columns, rows) = (grid.columns, Swift.max(1, tiles.count / grid.columns))
        let (r, c) = (tiles[0].width, tiles[0].channels)
        var pixels = [UInt8](repeating: 0, count: columns * rows * r * r * c)
        for (i, tile) in tiles.prefix(columns * rows).enumerated() {
            let (gx, gy) = (i % columns, i / columns)
            for y in 0..<r {
                let row = ((gy * r + y) * columns * r + gx * r) * c
                pixels.replaceSubrange(row..<(row + r * c), with: tile.pixels[(y * r * c)..<((y + 1) * r * c)])
            }
        }
        let png = try PNGImage(width: columns * r, height: rows * r, channels: c, pixels: pixels)
        try runFolder?.write(name) { try png.write(path: $0) }
    }

    /// A grid's worth of training images, as the official `setup_snapshot_image_grid` picks them
    /// for a dataset without labels: the dataset's indices shuffled by `RandomState(seed)`, repeated
    /// when the dataset is smaller than the grid.
    func realGrid() throws -> Tensor {
        let count = grid.columns * grid.rows
        let order = TrainingRun.realGridIndices(count: count, datasetCount: dataset.count, seed: options.seed)
        let values = try order.flatMap { i in
            planarFloats(try dataset.readablePixels(from: i), resolution: dataset.resolution, channels: dataset.channels,
                         divisor: 127.5, offset: -1)
        }
        return try Tensor(values, shape: [count, dataset.channels, dataset.resolution, dataset.resolution])
    }

    /// The dataset indices of the reals grid's `count` cells.
    static func realGridIndices(count: Int, datasetCount: Int, seed: UInt64) -> [Int] {
        var random = NumpyRandomState(seed: UInt32(truncatingIfNeeded: seed))
        var indices = Array(0..<datasetCount)
        random.shuffle(&indices)
        return (0..<count).map { indices[$0 % datasetCount] }
    }

    func deviceGiB() -> Double {
        Double(device.backend.statistics.peakBytes) / Double(1 << 30)
    }
}

/// The official `format_time`: `42s`, `3m 05s`, `2h 03m 04s`, `1d 02h 03m`.
public func formatTime(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m \(String(format: "%02d", s % 60))s" }
    if s < 86400 { return "\(s / 3600)h \(String(format: "%02d", (s / 60) % 60))m \(String(format: "%02d", s % 60))s" }
    return "\(s / 86400)d \(String(format: "%02d", (s / 3600) % 24))h \(String(format: "%02d", (s / 60) % 60))m"
}

/// Resident memory of this process in GiB (from /proc/self/statm on Linux).
func residentGiB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / Double(1 << 30)
}
