import Foundation
import Networks
import Tensors

/// What the run loop needs of a trainer (StyleGAN2 or StyleGAN v1).
protocol Trainer: AnyObject {
    var curNimg: Int { get }
    /// Batches trained so far.
    var batchIndex: Int { get }
    /// Images per step, from the current step on.
    var batchSizes: BatchSizes { get }
    /// Thousands of images per tick where the run does not set it (StyleGAN2: the official 4).
    var tickKimg: Double { get }
    /// Runs one batch of training on `reals` `[batch, C, R, R]` in [-1, 1].
    func step(reals: Tensor, stats: TickStatistics) throws
    /// G_ema's images for the fixed grid latents (noise const).
    func gridImages(_ z: Tensor) throws -> Tensor
    /// The generator that metrics and rendering use (G_ema).
    var generator: ImageGenerator { get }
    func writeSnapshot(_ path: String, tick: Int) throws
    func restore(from path: String) throws -> TrainState
    /// Extra fields of the tick line and stats (v1: lod, resolution and minibatch).
    func progressFields() -> [ProgressField]
    /// The networks whose weights must stay finite (G, D, G_ema).
    var networks: [(String, Layer)] { get }
}

extension Trainer {
    /// The name of the first parameter holding NaN or Inf, if any (one read of the device).
    func firstNonFiniteParameter() throws -> String? {
        try Layer.firstNonFinite(networks.flatMap { module, layer in layer.namedParameters().map { ("\(module).\($0.0)", $0.1.value) } })
    }
}

extension StyleGAN2Trainer: Trainer {
    var batchSizes: BatchSizes { .constant(preset.batch) }
    var tickKimg: Double { 4 }
    var generator: ImageGenerator { G_ema }

    func gridImages(_ z: Tensor) throws -> Tensor {
        try GradMode.disabled { try G_ema(z, noiseMode: .const) }
    }

    /// The official tick line's `augment` (p; 0 without augmentation), also `Progress/augment` in stats.jsonl.
    func progressFields() -> [ProgressField] {
        [ProgressField(name: "augment", value: augmentP, text: String(format: "%.3f", augmentP))]
    }
    var networks: [(String, Layer)] { [("G", G), ("D", D), ("G_ema", G_ema)] }
}

/// A value of the tick line (`lod 0.50`) that stats.jsonl also records (`Progress/lod`).
struct ProgressField {
    var name: String
    var value: Double
    var text: String
}
