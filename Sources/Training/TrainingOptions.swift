import Foundation
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
    public var metrics: [String]? = nil
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
        case preset, data, proceduralResolution = "procedural_resolution", batch, gamma, learningRate = "lrate"
        case mbstdGroup = "mbstd_group", channelBase = "cbase", channelMax = "cmax", mappingLayers = "map", latentSize = "zdim", kimg, tickKimg = "kimg_per_tick", snapTicks = "snap", metricsTicks = "metrics_ticks", metrics
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
        for size in sizes {
            guard size >= 1, size % Swift.max(1, Swift.min(group, size)) == 0 else {
                throw TrainingError("batch \(size) is not divisible by the minibatch-std group size \(group); choose --batch as a multiple of \(group) or set --mbstd-group")
            }
        }
        return p
    }
}

/// A training run that cannot start or continue: what, where, and what to do.
public struct TrainingError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
