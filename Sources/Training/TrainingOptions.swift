import Foundation
import Metrics
import Networks

/// Everything a training run was started with; stored as `training_options.json` and in every
/// snapshot, so that a resumed run continues with the same settings.
public struct TrainingOptions: Codable, Equatable, Sendable {
    /// The preset (`small`, `auto`, `stylegan2`, `paper256`, ..., `stylegan1-small`).
    public var preset = Preset.Name.small
    /// A folder or zip of PNG images; nil: the built-in procedural dataset.
    public var data: String? = nil
    /// Resolution of the built-in dataset (ignored with `data`).
    public var proceduralResolution = 32
    /// Overrides of the preset.
    public var batch: Int? = nil
    /// Images per round (the official `--batch-gpu`): StyleGAN2 phases run the batch in rounds and
    /// step with the rounds' mean gradient; minibatch-std groups stay within a round. nil: the batch.
    public var batchGPU: Int? = nil
    public var gamma: Double? = nil
    public var learningRate: Double? = nil
    public var mbstdGroup: Int? = nil
    /// Network size overrides: channel_base (fmap_base for v1), channel_max (fmap_max), mapping
    /// layers, and the latent size (z_dim = w_dim).
    public var channelBase: Int? = nil
    public var channelMax: Int? = nil
    public var mappingLayers: Int? = nil
    public var latentSize: Int? = nil
    /// Training length in thousands of images; nil: the preset's.
    public var kimg: Double? = nil
    /// Thousands of images per tick; nil: the official values (StyleGAN2 `kimg_per_tick` 4,
    /// StyleGAN (v1) the schedule's `tick_kimg_dict`).
    public var tickKimg: Double? = nil
    /// Ticks between network snapshots and sample grids (the official default is 50).
    public var snapTicks = 50
    /// Ticks between SWD measurements into metrics.jsonl (0: none).
    public var metricsTicks = 0
    /// Inception metrics (`fid50k_full`, `kid50k_full`, `fid10k`, `fid2k`) computed at each snapshot
    /// into metrics.jsonl, as the official `--metrics`; nil (as in runs saved before it existed) or empty: none.
    public var metrics: [InceptionMetric]? = nil
    /// A network file whose G, D and G_ema a new run starts from (fine-tuning, the official
    /// `--resume` of a network pickle); the networks' architecture comes from it.
    public var resumeNetwork: String? = nil
    /// D layers frozen from the highest resolution down (the official `--freezed`); nil: none.
    public var freezeD: Int? = nil
    /// Discriminator augmentation (the official `--aug`): adaptive (ADA), none, or a fixed p; nil
    /// (the library's default, and runs saved before augmentation existed): none. The command line's
    /// default is ADA for StyleGAN2, as the official `train.py`.
    public var aug: AugmentMode? = nil
    /// The augmentation probability p: where ADA starts (default 0) or the fixed value (`--p`).
    public var augmentP: Double? = nil
    /// ADA's target for the mean sign of D's real logits (`--target`, default 0.6).
    public var adaTarget: Double? = nil
    /// The augmentation pipeline, one of `AugmentPipe.names` (`--augpipe`, default `bgc`).
    public var augpipe: String? = nil
    /// ADA's speed: the kimg over which p can change by 1 (the official `ada_kimg`, 500).
    public var adaKimg: Double? = nil
    public var seed: UInt64 = 0
    /// x-flip augmentation; nil: the preset's (`stylegan1-ffhq` mirrors, as the official FFHQ configuration).
    public var mirror: Bool? = nil
    /// Lazy regularisation intervals (official: G 4, D 16).
    public var gRegInterval = 4
    public var dRegInterval = 16
    /// Sample grid of G_ema from fixed latents: columns and rows; nil: the official
    /// `setup_snapshot_image_grid` size for the resolution (7680 / R columns and 4320 / R rows,
    /// 7 to 32 and 4 to 32).
    public var gridColumns: Int? = nil
    public var gridRows: Int? = nil
    /// StyleGAN (v1) progressive growing: the start resolution and the kimg of each stable and fade phase.
    public var lodInitialResolution = 8
    public var lodTrainingKimg = 600.0
    public var lodTransitionKimg = 600.0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case preset, data, proceduralResolution = "procedural_resolution", batch, batchGPU = "batch_gpu", gamma, learningRate = "lrate"
        case mbstdGroup = "mbstd_group", channelBase = "cbase", channelMax = "cmax", mappingLayers = "map", latentSize = "zdim", kimg, tickKimg = "kimg_per_tick", snapTicks = "snap", metricsTicks = "metrics_ticks", metrics, resumeNetwork = "resume_pkl", freezeD = "freezed"
        case aug, augmentP = "augment_p", adaTarget = "ada_target", augpipe, adaKimg = "ada_kimg"
        case seed, mirror, gRegInterval = "G_reg_interval", dRegInterval = "D_reg_interval"
        case gridColumns = "grid_columns", gridRows = "grid_rows"
        case lodInitialResolution = "lod_initial_resolution", lodTrainingKimg = "lod_training_kimg"
        case lodTransitionKimg = "lod_transition_kimg"
    }

    /// The preset for `resolution` and `channels` with this run's overrides applied.
    public func resolvedPreset(resolution: Int, channels: Int) throws -> Preset {
        var p = try Preset.named(preset, resolution: resolution, channels: channels)
        if let batch {
            p.batch = batch
            // StyleGAN (v1): --batch is the minibatch where the schedule has no entry, and the
            // largest minibatch at any resolution.
            p.scheduleV1?.minibatchBase = batch
            p.scheduleV1?.maxMinibatch = batch
        }
        if let gamma { p.r1Gamma = gamma }
        if let learningRate {
            p.learningRate = learningRate
            // StyleGAN (v1): one rate for G and D at every resolution.
            p.scheduleV1?.gLrateBase = learningRate
            p.scheduleV1?.dLrateBase = learningRate
            p.scheduleV1?.gLrateDict = [:]
            p.scheduleV1?.dLrateDict = [:]
        }
        p.scheduleV1?.lodInitialResolution = lodInitialResolution
        p.scheduleV1?.lodTrainingKimg = lodTrainingKimg
        p.scheduleV1?.lodTransitionKimg = lodTransitionKimg
        if let mbstdGroup {
            p.discriminator?.mbstdGroupSize = mbstdGroup
            p.discriminatorV1?.mbstdGroupSize = mbstdGroup
        }
        if let channelBase {
            p.generator?.synthesis.channelBase = channelBase
            p.discriminator?.channelBase = channelBase
            p.generatorV1?.fmapBase = channelBase
            p.discriminatorV1?.fmapBase = channelBase
        }
        if let channelMax {
            p.generator?.synthesis.channelMax = channelMax
            p.discriminator?.channelMax = channelMax
            p.generatorV1?.fmapMax = channelMax
            p.discriminatorV1?.fmapMax = channelMax
        }
        if let mappingLayers {
            p.generator?.mapping.numLayers = mappingLayers
            p.generatorV1?.mappingLayers = mappingLayers
        }
        if let latentSize {
            p.generator?.zDim = latentSize
            p.generator?.wDim = latentSize
            p.generatorV1?.latentSize = latentSize
            p.generatorV1?.dlatentSize = latentSize
            p.generatorV1?.mappingFmaps = latentSize
        }
        try p.generator?.validate()
        try p.discriminator?.validate()
        try p.generatorV1?.validate()
        try p.discriminatorV1?.validate()
        // The official None (one group of the whole batch) and 0 (no layer) put no condition on the batch.
        let group = (p.discriminator.map { $0.mbstdGroupSize ?? 1 } ?? p.discriminatorV1?.mbstdGroupSize ?? 1)
        let sizes = p.scheduleV1.map { s in s.minibatchSizes(resolutionLog2: p.generatorV1!.resolutionLog2) } ?? [p.batch]
        if let batchGPU {
            guard p.architecture == .stylegan2 else { throw TrainingError.batchGPUNeedsStyleGAN2 }
            guard batchGPU >= 1, p.batch % batchGPU == 0 else { throw TrainingError.batchNotDivisibleIntoRounds(batch: p.batch, batchGPU: batchGPU) }
        }
        for size in sizes {
            let round = Swift.min(size, batchGPU ?? size)
            guard size >= 1, round % Swift.max(1, Swift.min(group, round)) == 0 else {
                throw TrainingError.batchNotDivisible(batch: round, mbstdGroup: group)
            }
        }
        return p
    }
}

/// A training run that cannot start or continue: each case carries what and where; the
/// description adds what to do.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    // Options and presets.
    /// A batch (or round) that the minibatch-std groups do not divide.
    case batchNotDivisible(batch: Int, mbstdGroup: Int)
    /// A `--batch-gpu` that does not divide the batch.
    case batchNotDivisibleIntoRounds(batch: Int, batchGPU: Int)
    /// `--batch-gpu` with a StyleGAN (v1) preset.
    case batchGPUNeedsStyleGAN2
    /// Across MPI ranks: a batch that the ranks' rounds do not divide.
    case batchNotDivisibleOverRanks(batch: Int, batchGPU: Int, ranks: Int)
    /// Across MPI ranks: a StyleGAN (v1) preset.
    case ranksNeedStyleGAN2(ranks: Int)
    /// Across MPI ranks: ranks started with different options or files.
    case ranksDisagree(rank: Int, what: String)
    /// A preset of another architecture than the trainer's.
    case wrongPreset(Preset.Name, needed: Preset.Architecture)
    /// StyleGAN (v1): a `--lod-initial-resolution` that is not a power of two from 4 to the network's resolution.
    case lodInitialResolution(Int, maximum: Int)
    /// A configuration whose estimated memory exceeds the device's.
    case notEnoughMemory(neededBytes: Double, availableBytes: Double, device: String)

    // Resuming.
    /// `--resume latest` with no snapshot in the output folder.
    case noSnapshotToResume(outdir: String)
    /// `--resume latest` whose run's training_options.json cannot be read.
    case unreadableRunOptions(path: String, reason: String, snapshot: String)
    /// `--resume` naming a file that does not exist.
    case resumeSnapshotMissing(path: String)
    /// Fine-tuning from a network file that lacks G, D or G_ema.
    case fineTuningNeedsAllNetworks(path: String)
    /// Fine-tuning from a StyleGAN (v1) network file.
    case fineTuningStyleGAN1(path: String)
    /// An option that contradicts the network file a fine-tuning run starts from.
    case contradictsNetworkFile(path: String, option: String, given: String, file: String)
    /// A file without training state (`sgan.train_state`): a network file.
    case notATrainingSnapshot(path: String)
    /// A snapshot lacking a tensor of the training state.
    case snapshotTensorMissing(path: String, tensor: String)
    /// A snapshot of another architecture, or without G, D and G_ema.
    case snapshotNetworksMissing(path: String, architecture: Preset.Architecture)
    /// A snapshot whose networks differ from those the preset gives.
    case networkMismatch(path: String, preset: Preset.Name)

    /// An augmentation option that is out of range, unknown, or does not go with `--aug`.
    case augmentOption(option: String, problem: String)

    // Training.
    /// StyleGAN (v1): a batch of another size than the schedule's.
    case batchSizeMismatch(images: Int, scheduled: Int, resolution: Int)
    /// A statistic (a loss) that became NaN or infinite; `lastSnapshot`: the last good snapshot, if any.
    case nonFiniteStatistic(Statistic, value: Double, tick: Int, kimg: Double, lastSnapshot: String?)
    /// A parameter holding NaN or infinity.
    case nonFiniteParameter(name: String, tick: Int, kimg: Double, lastSnapshot: String?)

    // Measuring.
    /// SWD: generated and real images of different shapes (`[channels, height, width]`).
    case imageFormatMismatch(network: [Int], data: [Int])
    /// SWD: images below 16×16.
    case resolutionTooSmallForSWD(Int)
    /// A network file without a generator to measure.
    case noGenerator(path: String)

    public var description: String {
        func gib(_ bytes: Double) -> String { String(format: "%.1f", bytes / Double(1 << 30)) }
        func stopped(_ tick: Int, _ kimg: Double, _ lastSnapshot: String?) -> String {
            let lastGood = lastSnapshot.map { "the last good one is \($0)" } ?? "no snapshot had been written yet"
            return "at tick \(tick) (\(String(format: "%.1f", kimg)) kimg); stopped without writing a snapshot (\(lastGood))"
        }
        func name(_ architecture: Preset.Architecture) -> String { architecture == .stylegan2 ? "StyleGAN2" : "StyleGAN (v1)" }
        switch self {
        case .batchNotDivisible(let batch, let group):
            return "batch \(batch) is not divisible by the minibatch-std group size \(group); choose --batch as a multiple of \(group) or set --mbstd-group"
        case .batchNotDivisibleIntoRounds(let batch, let batchGPU):
            return "--batch-gpu \(batchGPU) does not divide the batch \(batch); choose a divisor of \(batch)"
        case .batchNotDivisibleOverRanks(let batch, let batchGPU, let ranks):
            return "batch \(batch) is not divisible by \(ranks) ranks × --batch-gpu \(batchGPU); choose --batch as a multiple of \(ranks * batchGPU) or another --batch-gpu"
        case .ranksNeedStyleGAN2(let ranks):
            return "\(ranks) MPI ranks: StyleGAN (v1) trains in one process; run it without mpirun"
        case .ranksDisagree(let rank, let what):
            return "rank \(rank) was started with \(what) different from rank 0's; give every rank the same command line and files"
        case .batchGPUNeedsStyleGAN2:
            return "--batch-gpu: StyleGAN (v1) trains whole minibatches (its schedule sets them); leave --batch-gpu out"
        case .wrongPreset(let preset, let needed):
            return "preset \(preset.rawValue) is not a \(name(needed)) preset"
        case .lodInitialResolution(let resolution, let maximum):
            return "--lod-initial-resolution \(resolution) must be a power of two from 4 to \(maximum)"
        case .notEnoughMemory(let needed, let available, let device):
            return "this configuration needs at least \(gib(needed)) GiB (weights, Adam state and one batch's activations) where \(device) has \(gib(available)) GiB; lower --batch, --cmax, --cbase or --zdim"
        case .noSnapshotToResume(let outdir):
            return "--resume latest: no snapshot under \(outdir); start a run without --resume first"
        case .unreadableRunOptions(let path, let reason, let snapshot):
            return "--resume latest: \(path) cannot be read (\(reason)); resume from the snapshot file itself with --resume \(snapshot)"
        case .fineTuningNeedsAllNetworks(let path):
            return "\(path) does not hold G, D and G_ema: fine-tuning starts from all three, as in a network pickle converted with tools/convert_official.py"
        case .fineTuningStyleGAN1(let path):
            return "\(path) is a StyleGAN (v1) network: fine-tuning starts from StyleGAN2 networks only"
        case .contradictsNetworkFile(let path, let option, let given, let file):
            return option == "--data"
                ? "--data \(given) does not fit \(path), whose networks make \(file); prepare the data at that size (sgan-gpu dataset --resolution)"
                : "\(option) \(given) contradicts \(path), whose networks have \(file); leave \(option) out (a fine-tuning run takes the networks' architecture from the file)"
        case .augmentOption(let option, let problem):
            return "\(option): \(problem)"
        case .resumeSnapshotMissing(let path):
            return "--resume: \(path) does not exist"
        case .notATrainingSnapshot(let path):
            return "\(path) has no readable \(TrainState.key): it is a network file, not a training snapshot; render it, or start a new run"
        case .snapshotTensorMissing(let path, let tensor):
            return "\(path) lacks \(tensor): not a training snapshot"
        case .snapshotNetworksMissing(let path, let architecture):
            return "\(path) is not a \(name(architecture)) training snapshot with G, D and G_ema"
                + (architecture == .stylegan2 ? ": resume needs a snapshot written by train" : "")
        case .networkMismatch(let path, let preset):
            return "\(path) holds networks of another configuration than preset \(preset.rawValue) gives; resume with the run's own options"
        case .batchSizeMismatch(let images, let scheduled, let resolution):
            return "a batch of \(images) images where the schedule gives \(scheduled) at \(resolution)x\(resolution)"
        case .nonFiniteStatistic(let statistic, let value, let tick, let kimg, let lastSnapshot):
            return "\(statistic.rawValue) (phase \(statistic.phase.rawValue)) became \(value) \(stopped(tick, kimg, lastSnapshot)); lower the learning rate (--lrate) or raise --gamma"
        case .nonFiniteParameter(let name, let tick, let kimg, let lastSnapshot):
            return "parameter \(name) holds NaN or Inf \(stopped(tick, kimg, lastSnapshot)); lower the learning rate (--lrate)"
        case .imageFormatMismatch(let network, let data):
            func shape(_ s: [Int]) -> String { s.map(String.init).joined(separator: "x") }
            return "the network makes \(shape(network)) images and the data are \(shape(data))"
        case .resolutionTooSmallForSWD(let resolution):
            return "SWD needs images of at least 16x16, the data are \(resolution)x\(resolution)"
        case .noGenerator(let path):
            return "\(path) holds no generator to measure"
        }
    }
}
