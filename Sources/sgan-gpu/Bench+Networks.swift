import Distributed
import Foundation
import Networks
import Tensors
import Training

/// The network benchmarks of `sgan-gpu bench --cfg`: G forward, a training iteration without
/// regularisers, and the R1 and path-length phases, each as images per second.
struct NetworkBenchmark {
    /// The configurations of the performance issue (fp32, z = w = 512, resnet D, mbstd group 4),
    /// and `small` for quick checks.
    static func preset(_ cfg: String) throws -> Preset {
        var p: Preset
        switch cfg {
        case "a": p = try Preset.named(.stylegan2, resolution: 32); p.batch = 8; p.generator?.mapping.numLayers = 2
            p.generator?.synthesis.channelBase = 16384; p.discriminator?.channelBase = 16384
        case "b": p = try Preset.named(.stylegan2, resolution: 64); p.batch = 8; p.generator?.mapping.numLayers = 2
            p.generator?.synthesis.channelBase = 16384; p.discriminator?.channelBase = 16384
            p.generator?.synthesis.channelMax = 256; p.discriminator?.channelMax = 256
        case "c": p = try Preset.named(.stylegan2, resolution: 256); p.batch = 4
            p.generator?.synthesis.channelBase = 16384; p.discriminator?.channelBase = 16384
        case "small": p = try Preset.named(.small, resolution: 32)
        case "s":  // the whole-loop comparison's configuration (../shared/peer's train_peer.py, "cfg s")
            p = try Preset.named(.small, resolution: 32)
            p.generator?.synthesis.channelBase = 4096; p.discriminator?.channelBase = 4096
            p.generator?.synthesis.channelMax = 128; p.discriminator?.channelMax = 128
        default: throw BenchError.unknownConfiguration(cfg, known: ["a", "b", "c", "s", "small"])
        }
        p.discriminator?.mbstdGroupSize = 4
        return p
    }

    struct Result {
        var gForward, iteration, r1, pathLength: Double
        var launchesPerIteration: Int
        /// Across MPI ranks: the share of an iteration's time in the gradient all-reduce, and its bytes.
        var allreduceShare = 0.0, allreduceBytesPerIteration = 0
        /// `clCreateBuffer` calls in one iteration after the timed ones: 0 when the pool served
        /// every buffer (style mixing's random cutoff can bring a slice size for the first time).
        var allocationsPerIteration: Int
    }

    /// Median images/s of each part over `runs` timed runs after a warm-up.
    /// With `world` (under mpirun), each rank trains its share of every batch, as `train` does,
    /// and the images per second count the whole batch.
    static func measure(cfg: String, device: Device, runs: Int, world: MPIWorld? = nil) throws -> Result {
        let preset = try preset(cfg)
        var options = TrainingOptions()
        options.preset = preset.name
        if let world { options.batchGPU = preset.batch / world.size }
        let trainer = try StyleGAN2Trainer(preset: preset, options: options, device: device)
        trainer.world = world
        let n = preset.batch, r = preset.generator!.imgResolution
        let reals = try Tensor.uniform([n, 3, r, r], seed: 1, on: device)
        let z = try Tensor.randn([n, preset.generator!.zDim], seed: 2, on: device)
        var batch = 0
        /// Images per second of `body`, which processes `images` images.
        func median(images: Int = n, _ body: () throws -> Void) throws -> Double {
            Double(images) / (try medianSeconds(on: device, runs: runs, body))
        }
        func phases(_ list: [StyleGAN2Trainer.Phase]) throws {
            for phase in list { try trainer.run(phase, reals: reals, batch: batch) }
            batch += 1
        }
        let fused = ProcessInfo.processInfo.environment["SGAN_FUSED_MODCONV"] == "1"
        let gForward = try median { _ = try GradMode.disabled { try trainer.G_ema(z, noiseMode: .const, fused: fused) } }
        let launchesBefore = device.backend.statistics.launches
        try phases([.Gmain, .Dmain])
        let launches = device.backend.statistics.launches - launchesBefore
        let (reducedBefore, secondsBefore, iterationStart) = (trainer.allreduceBytes, trainer.allreduceSeconds, Date())
        let iteration = try median { try phases([.Gmain, .Dmain]); try trainer.updateEMA() }
        let iterations = Double(runs + 1)   // medianSeconds warms up once
        let allreduceShare = (trainer.allreduceSeconds - secondsBefore) / Date().timeIntervalSince(iterationStart)
        let allreduceBytes = Int(Double(trainer.allreduceBytes - reducedBefore) / iterations)
        let r1 = try median { try phases([.Dreg]) }
        let pathLength = try median(images: max(1, n / 2)) { try phases([.Greg]) }   // pl_batch_shrink 2
        let allocationsBefore = device.backend.statistics.allocations
        try phases([.Gmain, .Dmain])
        try trainer.updateEMA()
        let allocations = device.backend.statistics.allocations - allocationsBefore
        return Result(gForward: gForward, iteration: iteration, r1: r1, pathLength: pathLength,
                      launchesPerIteration: launches, allreduceShare: allreduceShare, allreduceBytesPerIteration: allreduceBytes,
                      allocationsPerIteration: allocations)
    }
}

/// A benchmark that cannot run.
enum BenchError: Error, CustomStringConvertible, Equatable {
    /// A `--cfg` that names no configuration.
    case unknownConfiguration(String, known: [String])

    var description: String {
        switch self {
        case .unknownConfiguration(let name, let known):
            return "unknown --cfg '\(name)'; configurations: \(known.joined(separator: ", "))"
        }
    }
}
