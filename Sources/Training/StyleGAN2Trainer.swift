import Augmentation
import Distributed
import Foundation
import Networks
import SafeTensors
import StyleGANOps
import Tensors

/// StyleGAN2's official training step (stylegan2-ada-pytorch `training_loop.py` and `loss.py`):
/// phases Gmain, Greg, Dmain, Dreg; the non-saturating logistic loss; lazy R1 and path-length
/// regularisation; style mixing; Adam with lr and betas rescaled for the lazy intervals; G_ema;
/// the augmentation pipeline inside every D evaluation, with ADA's adjustment of p.
public final class StyleGAN2Trainer {
    public let G: StyleGAN2.Generator
    public let D: StyleGAN2.Discriminator
    public let G_ema: StyleGAN2.Generator
    public let preset: Preset
    public let options: TrainingOptions
    let optG: Adam
    let optD: Adam
    /// D's parameters that train (all but the first `options.freezeD` layers, as the official
    /// `--freezed`), with their keys: what `optD` steps and what snapshots hold its moments for.
    let trainableD: [(String, Parameter)]
    /// The running mean of path lengths (a scalar on the device).
    var plMean: Tensor
    /// The augmentation applied inside every D evaluation (nil: none), with ADA's target and speed.
    private(set) var augment: AugmentSetup?
    /// ADA: the sum of the signs of D's real logits since the last adjustment (on the device), and their count.
    var adaSignSum: Tensor?
    var adaSignCount = 0
    /// The MPI ranks this run trains on (nil: this process alone).
    public var world: MPIWorld?
    /// Time spent in gradient all-reduces (download, MPI, upload) and the bytes reduced, so far.
    public internal(set) var allreduceSeconds = 0.0, allreduceBytes = 0
    /// The host buffer gradients are reduced in.
    var allreduceBuffer: [Float] = []
    /// Across ranks: the batch means of w of the current phase's own rounds, for `trackWAvg`.
    var roundWMeans: [Tensor] = []
    public private(set) var batchIndex = 0
    public private(set) var curNimg = 0
    let device: Device

    /// Path-length regularisation: decay 0.01, batch shrink 2 (official defaults).
    let plDecay = 0.01, plBatchShrink = 2

    public init(preset: Preset, options: TrainingOptions, device: Device) throws {
        guard let gConfig = preset.generator, let dConfig = preset.discriminator else {
            throw TrainingError.wrongPreset(preset.name, needed: .stylegan2)
        }
        self.preset = preset
        self.options = options
        self.device = device
        G = try StyleGAN2.Generator(gConfig, seed: options.seed &* 2 &+ 1, device: device)
        D = try StyleGAN2.Discriminator(dConfig, seed: options.seed &* 2 &+ 2, device: device)
        G_ema = try StyleGAN2.Generator(gConfig, seed: 0, device: device)
        try Snapshot.copyWeights(from: G, to: G_ema)
        // One optimizer per network, shared by its main and regularisation phases, with lr and
        // betas rescaled by interval / (interval + 1).
        func adam(_ parameters: [Parameter], interval: Int) throws -> Adam {
            let ratio = Double(interval) / Double(interval + 1)
            return try Adam(parameters, learningRate: preset.learningRate * ratio, beta1: pow(0, ratio),
                            beta2: pow(0.99, ratio), epsilon: 1e-8)
        }
        optG = try adam(G.namedParameters().map(\.1), interval: options.gRegInterval)
        let frozen = D.firstLayers(options.freezeD ?? 0).map { $0.path + "." }
        trainableD = D.namedParameters().filter { key, _ in !frozen.contains { key.hasPrefix($0) } }
        optD = try adam(trainableD.map(\.1), interval: options.dRegInterval)
        plMean = try Tensor.zeros([], on: device)
        augment = try options.augmentSetup(architecture: .stylegan2, resolution: gConfig.imgResolution, channels: gConfig.imgChannels)
    }

    /// The official `run_D`: the augmentation (when the run has one), then D. `call` tells the D
    /// evaluations of a batch apart and `samples` says which samples of the batch `img` holds, for
    /// the augmentation's draws.
    func runD(_ img: Tensor, batch: Int, call: Int, samples: Range<Int>) throws -> Tensor {
        guard let augment else { return try D(img) }
        var random = SampleRandomness(seed: options.seed, batch: batch, call: call, samples: samples)
        return try D(augment.pipe(img, random: &random))
    }

    /// The augmentation probability (0 without augmentation).
    public var augmentP: Double { augment?.pipe.p ?? 0 }

    /// ADA, every `adaInterval` batches: p moves by batch·interval / (ada_kimg·1000) toward where
    /// the mean sign of D's real logits since the last adjustment meets the target, never below 0.
    func adjustAugmentation() throws {
        guard var setup = augment, let target = setup.target, batchIndex % AugmentSetup.adaInterval == 0 else { return }
        let signs = try adaSignTotals()
        let mean = signs.count > 0 ? signs.sum / signs.count : .nan
        (adaSignSum, adaSignCount) = (nil, 0)
        guard mean.isFinite else { return }
        let sign: Double = mean > target ? 1 : mean < target ? -1 : 0
        let adjust = sign * Double(preset.batch * AugmentSetup.adaInterval) / (setup.adaKimg * 1000)
        setup.pipe.p = Double(Float(Swift.max(setup.pipe.p + adjust, 0)))
        augment = setup
    }

    /// The official `run_G`: mapping (which tracks w_avg in training), style mixing with one random
    /// crossover per round, and synthesis with random noise and the non-fused modulated convolution.
    /// Across ranks, w_avg is not updated here: the batch mean of w joins `roundWMeans` for
    /// `trackWAvg`. `tracksWAvg` false leaves w_avg alone (the path-length pre-pass).
    func runG(_ z: Tensor, random: RandomStream, mixing: inout SeededGenerator, tracksWAvg: Bool = true) throws -> (img: Tensor, ws: Tensor) {
        let acrossRanks = (world?.size ?? 1) > 1
        let mapped = try G.mapping(z, updateWAvg: !acrossRanks && tracksWAvg)
        if acrossRanks && tracksWAvg {
            roundWMeans.append(try GradMode.disabled { try mapped.slice(axis: 1, 0..<1).mean(axes: [0, 1]) })
        }
        let ws = try TrainingStep.mixStyles(
            mapped, activeLayers: G.numWs, probability: preset.styleMixingProb,
            mixing: &mixing) { try G.mapping(random.normal(z.shape, on: device), updateWAvg: false) }
        let img = try G.synthesis(ws, noiseMode: .random, fused: false, random: random)
        return (img, ws)
    }

    /// The official phases of one batch.
    public enum Phase: String, CaseIterable, Sendable {
        case Gmain, Greg, Dmain, Dreg
    }

    /// Images per round (the official `batch_gpu`): each phase runs the batch in rounds of this
    /// many images and steps once with the rounds' mean gradient.
    public var batchGPU: Int { options.batchGPU ?? preset.batch }

    /// The randomness of one round of a phase, a function of the run's seed, the batch, the phase
    /// and the round's samples alone (so that a resumed run draws exactly what the uninterrupted one
    /// would, and a sample draws the same numbers whatever the rounds): device normals as rows of
    /// per-batch tensors, and the round's style-mixing decision.
    func roundRandom(batch: Int, phase: Phase, samples: Range<Int>) -> (stream: RandomStream, mixing: SeededGenerator) {
        let key = TrainingStep.phaseKey(seed: options.seed, batch: batch, phase: Phase.allCases.firstIndex(of: phase)!)
        return (RandomStream(seed: key, rows: samples), SeededGenerator(seed: key ^ (UInt64(samples.lowerBound) &* 0xD1B5_4A32_D192_ED03)))
    }

    /// Runs one phase of batch `batch` with its optimizer step: the rounds' losses (each the mean
    /// over its samples, the regularisers multiplied by their lazy interval as the official `gain`)
    /// give gradients whose mean over the rounds Adam takes (NaN → 0 first).
    ///
    /// Across MPI ranks each rank runs its share of the rounds and the gradients are summed over the
    /// ranks before the mean; w_avg and pl_mean then follow every round of the batch in order.
    public func run(_ phase: Phase, reals: Tensor, batch: Int, stats: TickStatisticsRecorder? = nil) throws {
        let rounds = preset.batch / batchGPU
        let optimizer = phase == .Gmain || phase == .Greg ? optG : optD
        // Across ranks, path-length regularisation first measures its rounds' mean path lengths,
        // so that each round's penalty uses the running mean one process would have there.
        var plSequence: [Double]? = nil
        if phase == .Greg, (world?.size ?? 1) > 1 {
            plSequence = try plMeanSequence(ownMeans: ownRounds.map { try pathLengthMean(batch: batch, samples: samples(round: $0)) })
        }
        var sum: [Tensor]? = nil
        roundWMeans = []
        for round in ownRounds {
            if let plSequence { plMean = try Tensor([plSequence[round]], shape: [], on: device) }
            let samples = samples(round: round)
            let loss = try roundLoss(phase, reals: reals.slice(axis: 0, samples), batch: batch, samples: samples, stats: stats)
            let grads = try gradients(of: loss, wrt: optimizer.parameters.map(\.value))
            sum = try sum.map { try zip($0, grads).map { try $0 + $1 } } ?? grads
        }
        if let plSequence { plMean = try Tensor([plSequence.last!], shape: [], on: device) }
        try trackWAvg(roundWMeans)
        let total = try allreduceSum(sum!)
        let mean = try total.map { rounds == 1 ? $0 : try $0 * (1 / Double(rounds)) }
        try optimizer.update(try mean.map { try $0.nanToNum() })
    }

    /// The samples of round `round` (places in the batch).
    func samples(round: Int) -> Range<Int> { round * batchGPU ..< (round + 1) * batchGPU }

    /// The samples path-length regularisation draws in a round: the first half (pl_batch_shrink).
    func pathLengthSamples(_ samples: Range<Int>) -> Range<Int> {
        samples.lowerBound ..< samples.lowerBound + Swift.max(1, samples.count / plBatchShrink)
    }

    /// The path lengths `[n]` of a round of the regularisation phase: |J_wᵀ·y| for random image-space
    /// noise y, averaged over the ws. `createGraph` keeps them differentiable (the penalty);
    /// `tracksWAvg` false leaves w_avg alone (the pre-pass across ranks).
    func pathLengths(batch: Int, samples: Range<Int>, createGraph: Bool, tracksWAvg: Bool) throws -> Tensor {
        let drawn = pathLengthSamples(samples)
        var (random, mixing) = roundRandom(batch: batch, phase: .Greg, samples: drawn)
        let (img, ws) = try runG(random.normal([drawn.count, G.config.zDim], on: device), random: random, mixing: &mixing,
                                 tracksWAvg: tracksWAvg)
        let plNoise = try random.normal(img.shape, on: device) / Double(img.shape[2] * img.shape[3]).squareRoot()
        let plGrads = try gradients(of: (img * plNoise).sum(), wrt: [ws], createGraph: createGraph)[0]
        return try plGrads.square().sum(axes: [2]).mean(axes: [1]).sqrt()
    }

    /// The mean path length of a round, without a graph (what the ranks gather before the penalty).
    func pathLengthMean(batch: Int, samples: Range<Int>) throws -> Double {
        Double(try pathLengths(batch: batch, samples: samples, createGraph: false, tracksWAvg: false).mean().item())
    }

    /// The loss of one round of `phase` (what the official `accumulate_gradients` back-propagates).
    func roundLoss(_ phase: Phase, reals: Tensor, batch: Int, samples: Range<Int>, stats: TickStatisticsRecorder?) throws -> Tensor {
        let zDim = G.config.zDim
        var (random, mixing) = roundRandom(batch: batch, phase: phase, samples: samples)
        switch phase {
        case .Gmain:
            // softplus(−D(G(z))).
            let (img, _) = try runG(random.normal([samples.count, zDim], on: device), random: random, mixing: &mixing)
            let logits = try runD(img, batch: batch, call: 0, samples: samples)
            let loss = try logits.neg().softplus()
            try stats?.report(.scoresFake, logits)
            try stats?.report(.signsFake, logits.statisticSign())
            try stats?.report(.gLoss, loss)
            return try loss.mean()
        case .Greg:
            // Path-length regularisation.
            let plLengths = try pathLengths(batch: batch, samples: samples, createGraph: true, tracksWAvg: true)
            // As the official loss: the penalty uses the updated mean with its gradient; the stored
            // running mean is detached.
            let newMean = try plMean.lerp(plLengths.mean(), plDecay)
            plMean = newMean.detached()
            let penalty = try (plLengths - newMean).square()
            let reg = try penalty * preset.plWeight
            try stats?.report(.plPenalty, penalty)
            try stats?.report(.gReg, reg)
            return try reg.mean() * Double(options.gRegInterval)
        case .Dmain:
            // softplus(D(G(z))) + softplus(−D(x)).
            let fake = try GradMode.disabled {
                try runG(random.normal([samples.count, zDim], on: device), random: random, mixing: &mixing).img
            }
            let fakeLogits = try runD(fake, batch: batch, call: 1, samples: samples)
            let realLogits = try runD(reals, batch: batch, call: 2, samples: samples)
            let loss = try fakeLogits.softplus() + realLogits.neg().softplus()
            try stats?.report(.scoresFake, fakeLogits)
            try stats?.report(.signsFake, fakeLogits.statisticSign())
            try stats?.report(.scoresReal, realLogits)
            let realSigns = try realLogits.statisticSign()
            try stats?.report(.signsReal, realSigns)
            if augment?.target != nil {
                let sum = try GradMode.disabled { try realSigns.sum() }
                adaSignSum = try adaSignSum.map { try $0 + sum } ?? sum
                adaSignCount += realSigns.count
            }
            try stats?.report(.dLoss, loss)
            return try loss.mean()
        case .Dreg:
            // R1 = γ/2·‖∇x D(x)‖².
            let real = reals.detached().requiringGrad()
            let logits = try runD(real, batch: batch, call: 3, samples: samples)
            let r1Grads = try gradients(of: logits.sum(), wrt: [real], createGraph: true)[0]
            let penalty = try r1Grads.square().sum(axes: [1, 2, 3])
            let reg = try penalty * (preset.r1Gamma / 2)
            try stats?.report(.r1Penalty, penalty)
            try stats?.report(.dReg, reg)
            return try reg.mean() * Double(options.dRegInterval)
        }
    }

    /// One batch: the four phases (regularisation every G_reg_interval / D_reg_interval batches),
    /// the EMA update, and the counters.
    func step(reals: Tensor, stats: TickStatistics) throws {
        try run(.Gmain, reals: reals, batch: batchIndex, stats: stats)
        if preset.plWeight != 0 && batchIndex % options.gRegInterval == 0 { try run(.Greg, reals: reals, batch: batchIndex, stats: stats) }
        try run(.Dmain, reals: reals, batch: batchIndex, stats: stats)
        if preset.r1Gamma != 0 && batchIndex % options.dRegInterval == 0 { try run(.Dreg, reals: reals, batch: batchIndex, stats: stats) }
        try updateEMA()
        curNimg += preset.batch
        batchIndex += 1
        try adjustAugmentation()
    }

    /// G_ema ← lerp(G, G_ema, β) with β = 0.5^(batch / ema_nimg), ema_nimg ramped up over the first
    /// images; buffers copied.
    public func updateEMA() throws {
        var emaNimg = preset.emaKimg * 1000
        if let rampup = preset.emaRampup { emaNimg = Swift.min(emaNimg, Double(curNimg) * rampup) }
        let beta = pow(0.5, Double(preset.batch) / Swift.max(emaNimg, 1e-8))
        try TrainingStep.moveAverage(G_ema, toward: G, beta: beta)
    }

    // MARK: Snapshots

    /// The training state that a snapshot adds to the networks: optimizer moments, pl_mean, counters.
    func stateTensors() -> [(String, Tensor)] {
        [("train.pl_mean", plMean)] + Snapshot.optimizerTensors("G", optG, G.namedParameters()) + Snapshot.optimizerTensors("D", optD, trainableD)
    }

    func stateMetadata() throws -> TrainState {
        var state = TrainState(batchIndex: batchIndex, curNimg: curNimg, optGStep: optG.step, optDStep: optD.step)
        if let augment {
            state.augmentP = augment.pipe.p
            if augment.target != nil { state.adaSigns = [try adaSignSum.map { Double(try $0.item()) } ?? 0, Double(adaSignCount)] }
        }
        return state
    }

    /// Writes G, D, G_ema and the training state to `path` atomically.
    func writeSnapshot(_ path: String, tick: Int) throws {
        var state = try stateMetadata()
        state.tick = tick
        try NetworkFile.write(NetworkFile.StyleGAN2Networks(G: G, D: D, G_ema: G_ema), to: path,
                              extraMetadata: try state.metadata(options: options), extraTensors: stateTensors())
    }

    /// Starts from the weights of a network file (the official `--resume` of a network pickle, for
    /// fine-tuning): G, D and G_ema copied in; the optimizers and counters stay fresh.
    func initialize(from networks: NetworkFile.StyleGAN2Networks, path: String) throws {
        guard let g = networks.G, let d = networks.D, let gEma = networks.G_ema else {
            throw TrainingError.fineTuningNeedsAllNetworks(path: path)
        }
        try Snapshot.copyWeights(from: g, to: G)
        try Snapshot.copyWeights(from: d, to: D)
        try Snapshot.copyWeights(from: gEma, to: G_ema)
    }

    /// Restores networks and training state from a snapshot written by `writeSnapshot`.
    func restore(from path: String) throws -> TrainState {
        let snapshot = try Snapshot.Reader(path: path, device: device)
        guard case .stylegan2(let networks) = try NetworkFile.read(snapshot.file, device: device),
              let g = networks.G, let d = networks.D, let gEma = networks.G_ema else {
            throw TrainingError.snapshotNetworksMissing(path: path, architecture: .stylegan2)
        }
        guard g.config == G.config, d.config == D.config else {
            throw TrainingError.networkMismatch(path: path, preset: preset.name)
        }
        try Snapshot.resume(snapshot, networks: [(g, G), (d, D), (gEma, G_ema)], optG: optG, G: G.namedParameters(),
                            optD: optD, D: trainableD)
        let state = snapshot.state
        plMean = try snapshot.tensor("train.pl_mean")
        batchIndex = state.batchIndex
        curNimg = state.curNimg
        if augment != nil, let p = state.augmentP { augment?.pipe.p = p }
        // Across ranks, rank 0 alone carries the signs gathered since the last adjustment.
        if let signs = state.adaSigns, signs.count == 2, augment?.target != nil, (world?.rank ?? 0) == 0 {
            adaSignSum = signs[1] > 0 ? try Tensor([signs[0]], shape: [], on: device) : nil
            adaSignCount = Int(signs[1])
        }
        return state
    }
}

/// Counters of a training run, stored in each snapshot's metadata as `sgan.train_state`.
struct TrainState: Codable {
    var batchIndex: Int
    var curNimg: Int
    var optGStep: Int
    var optDStep: Int
    var tick = 0
    var lod: Double? = nil
    /// StyleGAN (v1): the lod range (floor, ceil) the optimizers' state belongs to.
    var optimizerLod: [Int]? = nil
    /// StyleGAN (v1): the images shown when the schedule was last evaluated.
    var scheduleNimg: Int? = nil
    /// The augmentation probability p.
    var augmentP: Double? = nil
    /// ADA: the sum and count of the real-logit signs since the last adjustment.
    var adaSigns: [Double]? = nil

    enum CodingKeys: String, CodingKey {
        case batchIndex = "batch_idx", curNimg = "cur_nimg", optGStep = "opt_G_step", optDStep = "opt_D_step", tick = "cur_tick", lod
        case optimizerLod = "optimizer_lod", scheduleNimg = "schedule_nimg", augmentP = "augment_p", adaSigns = "ada_signs"
    }

    static let key = "sgan.train_state"
    static let optionsKey = "sgan.training_options"

    init(batchIndex: Int, curNimg: Int, optGStep: Int, optDStep: Int) {
        self.batchIndex = batchIndex
        self.curNimg = curNimg
        self.optGStep = optGStep
        self.optDStep = optDStep
    }

    init(metadata: [String: String], path: String) throws {
        guard let json = metadata[Self.key], let state = try? JSONDecoder().decode(TrainState.self, from: Data(json.utf8)) else {
            throw TrainingError.notATrainingSnapshot(path: path)
        }
        self = state
    }

    func metadata(options: TrainingOptions) throws -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return [Self.key: String(decoding: try encoder.encode(self), as: UTF8.self),
                Self.optionsKey: String(decoding: try encoder.encode(options), as: UTF8.self)]
    }
}
