import Foundation
import Networks
import SafeTensors
import StyleGANOps
import Tensors

/// StyleGAN (v1)'s official training (NVlabs/stylegan `training_loop.py`, `loss.py`): progressive
/// growing on the preset's `StyleGAN1Schedule`, evaluated every `minibatchRepeats` batches as the
/// official loop does (lod, minibatch, G and D learning rates and tick length per resolution), a D
/// step then a G step per batch, non-saturating logistic loss with R1 (`D_logistic_simplegp`),
/// style mixing over the active layers, `dlatent_avg` tracking, Adam reset at every lod change, and
/// Gs with half-life 10 kimg.
public final class StyleGAN1Trainer {
    public let G: StyleGAN1.Generator
    public let D: StyleGAN1.Discriminator
    public let G_ema: StyleGAN1.Generator
    public let preset: Preset
    public let options: TrainingOptions
    var optG: Adam
    var optD: Adam
    public private(set) var batchIndex = 0
    public private(set) var curNimg = 0
    /// The schedule, and the images shown where it was last evaluated.
    public let schedule: StyleGAN1Schedule
    var scheduleNimg = 0
    /// The schedule's values for the current group of batches.
    public var sched: StyleGAN1Schedule.Values { schedule.values(nimg: scheduleNimg, resolutionLog2: G.config.resolutionLog2) }
    /// The official `minibatch_repeats`: batches between evaluations of the schedule.
    public static let minibatchRepeats = 4
    /// The lod range (floor, ceil) the optimizers were made for.
    var optimizerLod: (Int, Int)
    let device: Device

    public init(preset: Preset, options: TrainingOptions, device: Device) throws {
        guard let gConfig = preset.generatorV1, let dConfig = preset.discriminatorV1, let schedule = preset.scheduleV1 else {
            throw TrainingError.wrongPreset(preset.name, needed: .stylegan1)
        }
        guard schedule.lodInitialResolution >= 4, schedule.lodInitialResolution <= gConfig.resolution,
              schedule.lodInitialResolution & (schedule.lodInitialResolution - 1) == 0 else {
            throw TrainingError.lodInitialResolution(schedule.lodInitialResolution, maximum: gConfig.resolution)
        }
        self.preset = preset
        self.schedule = schedule
        let start = schedule.values(nimg: 0, resolutionLog2: gConfig.resolutionLog2)
        self.options = options
        self.device = device
        G = try StyleGAN1.Generator(gConfig, seed: options.seed &* 2 &+ 1, device: device)
        D = try StyleGAN1.Discriminator(dConfig, seed: options.seed &* 2 &+ 2, device: device)
        G_ema = try StyleGAN1.Generator(gConfig, seed: 0, device: device)
        try Snapshot.copyWeights(from: G, to: G_ema)
        optG = try Adam(G.namedParameters().map(\.1), learningRate: start.gLrate, beta1: 0, beta2: 0.99, epsilon: 1e-8)
        optD = try Adam(D.namedParameters().map(\.1), learningRate: start.dLrate, beta1: 0, beta2: 0.99, epsilon: 1e-8)
        optimizerLod = Self.lodRange(start.lod)
    }

    static func lodRange(_ lod: Double) -> (Int, Int) { (Int(lod.rounded(.down)), Int(lod.rounded(.up))) }

    /// The lod being trained.
    public var currentLod: Double { sched.lod }

    /// The batch sizes from this point on: the schedule's minibatch, evaluated at every
    /// `minibatchRepeats`-th batch from the images shown so far.
    var batchSizes: BatchSizes {
        let (schedule, log2, repeats) = (schedule, G.config.resolutionLog2, Self.minibatchRepeats)
        let first = batchIndex % repeats == 0 ? schedule.values(nimg: curNimg, resolutionLog2: log2).minibatch : sched.minibatch
        return BatchSizes(first: first) { index, nimg, previous in
            index % repeats == 0 ? schedule.values(nimg: nimg, resolutionLog2: log2).minibatch : previous
        }
    }

    /// Evaluates the schedule at the start of each group of `minibatchRepeats` batches, as the
    /// official loop: new learning rates, and fresh Adam state when the lod range changes
    /// (`reset_opt_for_new_lod`).
    func advanceSchedule() throws {
        guard batchIndex % Self.minibatchRepeats == 0 else { return }
        scheduleNimg = curNimg
        let sched = self.sched
        if Self.lodRange(sched.lod) != optimizerLod {
            optG = try Adam(optG.parameters, learningRate: sched.gLrate, beta1: 0, beta2: 0.99, epsilon: 1e-8)
            optD = try Adam(optD.parameters, learningRate: sched.dLrate, beta1: 0, beta2: 0.99, epsilon: 1e-8)
            optimizerLod = Self.lodRange(sched.lod)
        }
        (optG.learningRate, optD.learningRate) = (sched.gLrate, sched.dLrate)
    }

    /// Style mixing over the active layers, `dlatent_avg` tracked, random noise.
    func runG(_ z: Tensor, lod: Double, random: RandomStream, mixing: inout SeededGenerator) throws -> Tensor {
        let ws = try TrainingStep.mixStyles(
            G.ws(z, updateAverage: true), activeLayers: G.numWs - 2 * Int(lod.rounded(.down)),
            probability: preset.styleMixingProb, mixing: &mixing) { try G.ws(random.normal(z.shape, on: device)) }
        return try G.synthesis(ws, lod: lod, noiseMode: .random, random: random)
    }

    func step(reals batch: Tensor, stats: TickStatistics) throws {
        try advanceSchedule()
        let sched = self.sched, lod = sched.lod
        guard batch.shape[0] == sched.minibatch else {
            throw TrainingError.batchSizeMismatch(images: batch.shape[0], scheduled: sched.minibatch, resolution: sched.resolution)
        }
        let reals = try prepareReals(batch)
        let n = reals.shape[0]
        var (random, mixing) = TrainingStep.random(seed: options.seed, batch: batchIndex)
        let zDim = G.config.latentSize

        // D: softplus(D(G(z))) + softplus(−D(x)) + γ/2·‖∇x D(x)‖².
        do {
            let fake = try GradMode.disabled { try runG(random.normal([n, zDim], on: device), lod: lod, random: random, mixing: &mixing) }
            let real = reals.detached().requiringGrad()
            let realLogits = try D(real, lod: lod)
            let fakeLogits = try D(fake, lod: lod)
            var loss = try fakeLogits.softplus() + realLogits.neg().softplus()
            if preset.r1Gamma != 0 {
                let r1Grads = try gradients(of: realLogits.sum(), wrt: [real], createGraph: true)[0]
                let penalty = try r1Grads.square().sum(axes: [1, 2, 3]).reshape([n, 1])
                try stats.report(.r1Penalty, penalty)
                loss = try loss + penalty * (preset.r1Gamma / 2)
            }
            try stats.report(.scoresReal, realLogits)
            try stats.report(.scoresFake, fakeLogits)
            try stats.report(.dLoss, loss)
            try TrainingStep.update(optD, loss.mean())
        }
        // Gs (official: updated together with the D step, before the G step): trainables with
        // β = 0.5^(batch / 10 kimg); non-trainables copied.
        let beta = pow(0.5, Double(n) / Swift.max(preset.emaKimg * 1000, 1e-8))
        try TrainingStep.moveAverage(G_ema, toward: G, beta: beta)
        for buffer in [G.lod, D.lod, G_ema.lod] { buffer.value = try Tensor.full(lod, shape: [], on: device) }
        // G: softplus(−D(G(z))).
        do {
            let fake = try runG(random.normal([n, zDim], on: device), lod: lod, random: random, mixing: &mixing)
            let logits = try D(fake, lod: lod)
            let loss = try logits.neg().softplus().mean()
            try stats.report(.scoresFake, logits)
            try stats.report(.gLoss, loss)
            try TrainingStep.update(optG, loss)
        }
        curNimg += n
        batchIndex += 1
    }

    /// Reals for the current lod, as the official `process_reals`: the image at the active
    /// resolution, blended toward its half-resolution version during a fade (`FadeLOD`), then
    /// nearest-up-sampled back to full resolution.
    func prepareReals(_ reals: Tensor) throws -> Tensor {
        let lod = currentLod
        let k = Int(lod.rounded(.down)), alpha = lod - Double(k)
        var x = k == 0 ? reals : try reals.downscale2d(factor: 1 << k)
        if alpha > 0 && x.shape[2] > 4 { x = try x.lerp(x.downscale2d().upscale2d(), alpha) }
        return k == 0 ? x : try x.upscale2d(factor: 1 << k)
    }

    func writeSnapshot(_ path: String, tick: Int) throws {
        var state = TrainState(batchIndex: batchIndex, curNimg: curNimg, optGStep: optG.step, optDStep: optD.step)
        state.tick = tick
        state.lod = currentLod
        state.optimizerLod = [optimizerLod.0, optimizerLod.1]
        state.scheduleNimg = scheduleNimg
        let tensors = Snapshot.optimizerTensors("G", optG, G.namedParameters()) + Snapshot.optimizerTensors("D", optD, D.namedParameters())
        try NetworkFile.write(NetworkFile.StyleGAN1Networks(G: G, D: D, G_ema: G_ema), to: path,
                              extraMetadata: try state.metadata(options: options), extraTensors: tensors)
    }

    func restore(from path: String) throws -> TrainState {
        let snapshot = try Snapshot.Reader(path: path, device: device)
        guard case .stylegan1(let networks) = try NetworkFile.read(snapshot.file, device: device),
              let g = networks.G, let d = networks.D, let gEma = networks.G_ema else {
            throw TrainingError.snapshotNetworksMissing(path: path, architecture: .stylegan1)
        }
        guard g.config == G.config, d.config == D.config else {
            throw TrainingError.networkMismatch(path: path, preset: preset.name)
        }
        try Snapshot.resume(snapshot, networks: [(g, G), (d, D), (gEma, G_ema)], optG: optG, G: G.namedParameters(),
                            optD: optD, D: D.namedParameters())
        let state = snapshot.state
        batchIndex = state.batchIndex
        curNimg = state.curNimg
        scheduleNimg = state.scheduleNimg ?? curNimg
        let sched = self.sched
        if let saved = state.optimizerLod, saved.count == 2 { optimizerLod = (saved[0], saved[1]) } else { optimizerLod = Self.lodRange(currentLod) }
        (optG.learningRate, optD.learningRate) = (sched.gLrate, sched.dLrate)
        return state
    }
}

extension StyleGAN1Trainer: Trainer {
    var tickKimg: Double { sched.tickKimg }
    var networks: [(String, Layer)] { [("G", G), ("D", D), ("G_ema", G_ema)] }
    var generator: ImageGenerator { G_ema }

    func gridImages(_ z: Tensor) throws -> Tensor {
        try GradMode.disabled { try G_ema(z, lod: currentLod, noiseMode: .const) }
    }

    func progressFields() -> [ProgressField] {
        let sched = self.sched
        return [ProgressField(name: "lod", value: sched.lod, text: String(format: "%.2f", sched.lod)),
         ProgressField(name: "resolution", value: Double(sched.resolution), text: String(sched.resolution)),
         ProgressField(name: "minibatch", value: Double(sched.minibatch), text: String(sched.minibatch))]
    }
}
