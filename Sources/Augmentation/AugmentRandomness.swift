import Foundation
import Tensors

/// Where the augmentation pipeline's random numbers come from. The pipeline asks in the order of
/// the official `AugmentPipe.forward` (each `torch.rand`/`torch.randn` of shape `[batch, k, ...]`
/// is one call for `k` numbers per sample), so that a recorded sequence of the official draws
/// replays exactly (the fixture tests), and a training run draws per sample.
public protocol AugmentRandomness {
    /// `perSample` uniform numbers in [0, 1) for each of the batch's samples: `[batch][perSample]`.
    mutating func uniform(_ perSample: Int) -> [[Float]]
    /// `perSample` standard normal numbers for each sample.
    mutating func normal(_ perSample: Int) -> [[Float]]
    /// The additive-noise image, standard normals of `shape` `[N, C, H, W]`, or nil when `needed`
    /// is false (no sample drew noise; a recorded sequence still consumes its draw).
    mutating func normalImage(_ shape: [Int], on device: Device, needed: Bool) throws -> Tensor?
}

/// The training run's draws: sample `s` of a pipeline call takes its numbers from its own generator,
/// seeded from the run's seed, the batch, the call (which D evaluation of the batch) and `s`, its
/// place in the whole batch, alone. So a resumed run draws exactly what the uninterrupted one would,
/// and a sample's augmentation depends neither on the other samples nor on how the batch is split
/// into rounds. The noise image comes from the device's Philox stream of the same key, one row per sample.
public struct SampleRandomness: AugmentRandomness {
    var generators: [SeededGenerator]
    let key: UInt64
    let samples: Range<Int>

    /// The draws of `samples` (places in the whole batch) in D evaluation `call` of batch `batch`.
    public init(seed: UInt64, batch: Int, call: Int, samples: Range<Int>) {
        let key = SeededGenerator.key(seed ^ 0x4144_4121, UInt64(batch), UInt64(call))
        self.key = key
        self.samples = samples
        generators = samples.map { SeededGenerator(seed: key ^ (UInt64($0) &* 0x9E37_79B9_7F4A_7C15)) }
    }

    public mutating func uniform(_ perSample: Int) -> [[Float]] {
        generators.indices.map { s in (0..<perSample).map { _ in Float(generators[s].uniform(0...1)).clampedBelowOne } }
    }

    public mutating func normal(_ perSample: Int) -> [[Float]] {
        generators.indices.map { s in
            (0..<perSample).map { _ in
                // Box–Muller from two uniforms; 1 − u keeps the logarithm finite.
                let u = 1 - generators[s].uniform(0...1), v = generators[s].uniform(0...1)
                return Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
            }
        }
    }

    public mutating func normalImage(_ shape: [Int], on device: Device, needed: Bool) throws -> Tensor? {
        needed ? try RandomStream(seed: key, rows: samples).normal(shape, on: device) : nil
    }
}

extension Float {
    /// Rounding a Double just below 1 to Float can give 1; a uniform draw must stay below 1.
    var clampedBelowOne: Float { self < 1 ? self : Float(1).nextDown }
}
