import ArgumentParser
import Foundation
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

    @Option(help: "Preset: auto, stylegan2, paper256, paper512, paper1024, cifar, small, stylegan1-ffhq, stylegan1-small.")
    var preset = "small"

    @Option(help: "Where run folders are created.")
    var outdir = "runs"

    @Option(help: "Train until this many thousand images (default: the preset's).")
    var kimg: Double?

    @Option(help: "Batch size (default: the preset's).")
    var batch: Int?

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

    @Option(help: "Random seed of the run.")
    var seed: UInt64 = 0

    @Flag(inversion: .prefixedNo, help: "Augment with x-flips (default: the preset's; stylegan1-ffhq mirrors as the official FFHQ configuration).")
    var mirror: Bool?

    @Option(help: "Continue a run: 'latest' (the newest snapshot under --outdir, in its own folder) or a snapshot file.")
    var resume: String?

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
        if let kimg, !(kimg > 0 && kimg.isFinite) { throw ValidationError("--kimg must be positive, got \(kimg)") }
        if let tick, !(tick > 0 && tick.isFinite) { throw ValidationError("--tick must be positive, got \(tick)") }
        guard snap >= 1 else { throw ValidationError("--snap must be at least 1") }
        guard metricsTicks >= 0 else { throw ValidationError("--metrics-ticks must be 0 or more") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1") }
        if let gamma, !(gamma >= 0 && gamma.isFinite) { throw ValidationError("--gamma must be 0 or more, got \(gamma)") }
        if let lrate, !(lrate > 0 && lrate.isFinite) { throw ValidationError("--lrate must be positive, got \(lrate)") }
        guard resolution >= 4, resolution & (resolution - 1) == 0 else {
            throw ValidationError("--resolution \(resolution) is not a power of two of at least 4")
        }
        guard lodTrainingKimg >= 0, lodTransitionKimg >= 0, lodTrainingKimg.isFinite, lodTransitionKimg.isFinite else {
            throw ValidationError("--lod-training-kimg and --lod-transition-kimg must be 0 or more")
        }
        for (name, value) in [("--cbase", cbase), ("--cmax", cmax), ("--map", map), ("--zdim", zdim), ("--mbstd-group", mbstdGroup)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1, got \(value)") }
        }
        if let grid, parseGrid(grid, limit: 64) == nil { throw ValidationError("--grid must look like 8x4, got '\(grid)'") }
    }


    func run() throws {
        var o = TrainingOptions()
        o.preset = preset
        o.data = data
        o.proceduralResolution = resolution
        (o.batch, o.gamma, o.learningRate, o.mbstdGroup) = (batch, gamma, lrate, mbstdGroup)
        (o.channelBase, o.channelMax, o.mappingLayers, o.latentSize) = (cbase, cmax, map, zdim)
        (o.tickKimg, o.snapTicks, o.metricsTicks, o.seed, o.mirror) = (tick, snap, metricsTicks, seed, mirror)
        o.kimg = kimg
        if let grid, let size = parseGrid(grid, limit: 64) { (o.gridColumns, o.gridRows) = (size.columns, size.rows) }
        (o.lodInitialResolution, o.lodTrainingKimg, o.lodTransitionKimg) = (lodInitialResolution, lodTrainingKimg, lodTransitionKimg)
        let device = try Device.select(options.device)
        try TrainingRun(options: o, outdir: outdir, resume: resume, device: device).run()
    }
}
