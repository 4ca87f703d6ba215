import ArgumentParser
import Distributed
import Foundation
import Metrics
import Networks
import Tensors
import Training

/// `sgan-gpu train`: the official StyleGAN2 (or StyleGAN v1) training loop on the device.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a StyleGAN2 or StyleGAN (v1) network.",
        discussion: "With no --data, trains on a built-in procedural dataset. Each run gets a folder under --outdir with training_options.json, log.txt, stats.jsonl, sample grids fakesKKKKKK.png and snapshots network-snapshot-KKKKKK.safetensors.")

    @Option(help: "A folder or .zip of PNG images (square, power-of-two size; see `sgan-gpu dataset`). Default: the procedural dataset.")
    var data: String?

    @Option(help: "Preset (official values, or small ones for CPUs).")
    var preset = Preset.Name.small

    @Option(help: "Where run folders are created.")
    var outdir = "runs"

    @Option(help: "Train until this many thousand images (default: the preset's).")
    var kimg: Double?

    @Option(help: "Batch size (default: the preset's).")
    var batch: Int?

    @Option(name: .customLong("batch-gpu"), help: "Images per round (the official --batch-gpu): each phase runs the batch in rounds of this size and steps once with their mean gradient, so large batches fit in less memory; minibatch-std groups stay within a round (default: the batch).")
    var batchGPU: Int?

    @Option(help: "R1 regularisation weight gamma (default: the preset's).")
    var gamma: Double?

    @Option(help: "Adam learning rate (default: the preset's).")
    var lrate: Double?

    @Option(name: .customLong("mbstd-group"), help: "Minibatch-std group size (default: the preset's).")
    var mbstdGroup: Int?

    @Option(help: "Channel base: channels at resolution R are min(cbase / R, cmax) (default: the preset's).")
    var cbase: Int?

    @Option(help: "Most channels of any layer (default: the preset's).")
    var cmax: Int?

    @Option(help: "Mapping network layers (default: the preset's).")
    var map: Int?

    @Option(help: "Latent size, z_dim = w_dim (default: the preset's).")
    var zdim: Int?

    @Option(help: "Thousands of images per tick (default: 4 as the official kimg_per_tick; StyleGAN v1: the schedule's per resolution).")
    var tick: Double?

    @Option(help: "Ticks between snapshots and sample grids (official default 50).")
    var snap = 50

    @Option(name: .customLong("metrics-ticks"), help: "Ticks between SWD measurements into metrics.jsonl (0: none).")
    var metricsTicks = 0

    @Option(help: "Inception metrics at each snapshot into metrics.jsonl, comma-separated: fid50k_full, kid50k_full, fid10k, fid2k, fid<N> (official --metrics; default none). Needs --inception.")
    var metrics: String?

    @Option(help: "Inception-v3 weights converted from pytorch-fid's file, for --metrics (default: $SGAN_INCEPTION).")
    var inception: String?

    @Option(help: "Random seed of the run.")
    var seed: UInt64 = 0

    @Flag(inversion: .prefixedNo, help: "Augment with x-flips (default: the preset's; stylegan1-ffhq mirrors as the official FFHQ configuration).")
    var mirror: Bool?

    @Option(help: "Continue a run: 'latest' (the newest snapshot under --outdir, in its own folder) or a snapshot file; or start a new run from a network file's G, D and G_ema (fine-tuning, as the official --resume of a network pickle: fresh optimizers and counters, the architecture from the file).")
    var resume: String?

    @Option(help: "Freeze the first N layers of D, from the highest resolution down (the official --freezed; default 0).")
    var freezed: Int?

    @Option(help: "Discriminator augmentation (the official --aug): ada (adaptive p, the default for StyleGAN2), noaug (the default for StyleGAN v1), or fixed (with --p).")
    var aug: AugmentMode?

    @Option(help: "The augmentation probability for --aug fixed, from 0 to 1.")
    var p: Double?

    @Option(help: "ADA's target for the mean sign of D's outputs on reals (default 0.6).")
    var target: Double?

    @Option(help: "The augmentation pipeline: \(TrainingOptions.augmentPipelines.joined(separator: ", ")) (default bgc: blit, geometry and colour).")
    var augpipe: String?

    @Option(name: .customLong("ada-kimg"), help: "ADA's speed: thousands of images over which p can change by 1 (official 500; smaller adapts faster, for short runs).")
    var adaKimg: Double?

    @Option(help: "Sample grids (reals.png, fakes*.png), columns x rows (default: the official size for the resolution, 7680/R x 4320/R within 7-32 x 4-32).")
    var grid: String?

    @Option(help: "Resolution of the procedural dataset.")
    var resolution = 32

    @Option(name: .customLong("lod-initial-resolution"), help: "StyleGAN (v1): the resolution training starts at.")
    var lodInitialResolution = 8

    @Option(name: .customLong("lod-training-kimg"), help: "StyleGAN (v1): kimg at each resolution before fading in the next.")
    var lodTrainingKimg = 600.0

    @Option(name: .customLong("lod-transition-kimg"), help: "StyleGAN (v1): kimg of each fade-in.")
    var lodTransitionKimg = 600.0

    @OptionGroup var options: DeviceOptions

    func validate() throws {
        // Ranges wide enough for any real run and narrow enough that nothing overflows or asks for
        // absurd memory before the run's own checks.
        try require("--kimg", kimg, in: 1e-6...1e7)
        try require("--tick", tick, in: 1e-6...1e5)
        try require("--snap", snap, in: 1...1_000_000)
        try require("--metrics-ticks", metricsTicks, in: 0...1_000_000)
        try require("--batch", batch, in: 1...4096)
        try require("--batch-gpu", batchGPU, in: 1...4096)
        try require("--gamma", gamma, in: 0...1e6)
        try require("--lrate", lrate, in: 1e-12...10)
        try require("--mbstd-group", mbstdGroup, in: 1...4096)
        try require("--freezed", freezed, in: 0...1000)
        try require("--p", p, in: 0...1)
        try require("--target", target, in: 0...1)
        try require("--ada-kimg", adaKimg, in: 1e-6...1e7)
        try require("--cbase", cbase, in: 1...(1 << 20))
        try require("--cmax", cmax, in: 1...16384)
        try require("--map", map, in: 1...64)
        try require("--zdim", zdim, in: 1...16384)
        try requirePowerOfTwo("--resolution", resolution, in: 4...8192)
        try requirePowerOfTwo("--lod-initial-resolution", lodInitialResolution, in: 4...8192)
        try require("--lod-training-kimg", lodTrainingKimg, in: 0...1e7)
        try require("--lod-transition-kimg", lodTransitionKimg, in: 0...1e7)
        if let metrics {
            for name in metrics.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where InceptionMetric.named(name) == nil {
                throw ValidationError("unknown metric '\(name)' in --metrics; known: \(InceptionMetric.knownNames) (SWD: --metrics-ticks)")
            }
        }
        if let grid, parseGrid(grid, limit: 64) == nil { throw ValidationError("--grid must look like 8x4 (each from 1 to 64), got '\(grid)'") }
    }

    func run() throws {
        var o = TrainingOptions()
        o.preset = preset
        o.data = data
        o.proceduralResolution = resolution
        (o.batch, o.gamma, o.learningRate, o.mbstdGroup) = (batch, gamma, lrate, mbstdGroup)
        o.batchGPU = batchGPU
        (o.channelBase, o.channelMax, o.mappingLayers, o.latentSize) = (cbase, cmax, map, zdim)
        (o.tickKimg, o.snapTicks, o.metricsTicks, o.seed, o.mirror) = (tick, snap, metricsTicks, seed, mirror)
        o.kimg = kimg
        if let grid, let size = parseGrid(grid, limit: 64) { (o.gridColumns, o.gridRows) = (size.columns, size.rows) }
        (o.lodInitialResolution, o.lodTrainingKimg, o.lodTransitionKimg) = (lodInitialResolution, lodTrainingKimg, lodTransitionKimg)
        if let metrics {
            o.metrics = metrics.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.compactMap(InceptionMetric.named)
        }
        // A network file (no training state) starts a new run from its weights; a snapshot continues its run.
        var resume = self.resume
        if let path = resume, path != "latest", FileManager.default.fileExists(atPath: path), try !TrainingRun.isTrainingSnapshot(path) {
            (o.resumeNetwork, resume) = (path, nil)
        }
        o.freezeD = freezed
        // The official default is ADA; StyleGAN (v1) trained without augmentation.
        o.aug = aug ?? (preset.architecture == .stylegan1 ? .noaug : .ada)
        (o.augmentP, o.adaTarget, o.augpipe, o.adaKimg) = (p, target, augpipe, adaKimg)
        let environment = ProcessInfo.processInfo.environment
        let weights = inception ?? environment["SGAN_INCEPTION"].flatMap { $0.isEmpty ? nil : $0 }
        if let first = o.metrics?.first, weights == nil { throw MetricsError.inceptionWeightsNeeded(metric: first.name) }
        // Started by mpirun: one rank per device, rank 0 writing the run folder.
        let world = MPIWorld.launched(environment: environment) ? try MPIWorld() : nil
        let ranks = (world?.size ?? 1) > 1 ? world : nil
        do {
            let run = try prepare(o, resume: resume, weights: weights, world: ranks)
            try run.run(stopOnSignals: true)
            if (ranks?.rank ?? 0) == 0 { try printProfile(run.device) }
            world?.finalize()
        } catch let stopped as TrainingStopped {
            // The run said how to continue; the status says which signal stopped it.
            world?.finalize()
            throw ExitCode(stopped.status)
        } catch {
            guard let ranks else { throw error }
            // Across ranks, rank 0 says what went wrong when every rank finds the same (the
            // checks of the options before the first step, a NaN in training: TrainingError).
            // Anything else (a file, a device) may concern one rank alone: each rank that meets it
            // says so, with its rank. The process leaves without MPI_Finalize (which could wait
            // for ranks blocked in a collective), and mpirun ends the ranks still running.
            if ranks.rank == 0 || !(error is TrainingError) {
                let message = userMessage(for: error).replacingOccurrences(of: "Error: ", with: "")
                FileHandle.standardError.write(Data("error: \(ranks.rank == 0 ? "" : "rank \(ranks.rank): ")\(message)\n".utf8))
            }
            Foundation.exit(1)
        }
    }

    /// The run, checked and ready (every rank of an MPI job prepares its own).
    func prepare(_ o: TrainingOptions, resume: String?, weights: String?, world: MPIWorld?) throws -> TrainingRun {
        let environment = ProcessInfo.processInfo.environment
        let device = try options.selected(localRank: world?.localRank)
        let engine = try weights.flatMap { weights in
            o.metrics?.isEmpty == false || resume != nil ? weights : nil
        }.map {
            try InceptionMetrics(weights: $0, device: device, cache: FeatureCache(directory: FeatureCache.defaultDirectory(environment: environment)))
        }
        engine?.progress = ProgressLine().report
        return try TrainingRun(options: o, outdir: outdir, resume: resume, device: device, inception: engine, world: world)
    }
}
