import Foundation
import Networks
import Tensors

/// What both trainers do the same way.
enum TrainingStep {
    /// One optimizer step with `loss`'s gradients, NaN → 0 and ±∞ → ±1e5 first (the official `nan_to_num`).
    static func update(_ optimizer: Adam, _ loss: Tensor) throws {
        let grads = try gradients(of: loss, wrt: optimizer.parameters.map(\.value))
        try optimizer.update(try grads.map { try $0.nanToNum() })
    }

    /// `G_ema ← lerp(G, G_ema, β)` for parameters; buffers copied.
    static func moveAverage(_ ema: Layer, toward model: Layer, beta: Double) throws {
        try GradMode.disabled {
            for ((_, p), (_, pEma)) in zip(model.namedParameters(), ema.namedParameters()) {
                try pEma.assign(p.value.lerp(pEma.value, beta))
            }
            for ((_, b), (_, bEma)) in zip(model.namedBuffers(), ema.namedBuffers()) { bEma.value = b.value }
        }
    }

    /// Style mixing with one random crossover per batch: with `probability`, the layers from a
    /// cutoff drawn among the first `activeLayers` on take their w from `other()` (v1 mixes only
    /// among the layers of the resolutions grown so far).
    static func mixStyles(_ ws: Tensor, activeLayers: Int, probability: Double, mixing: inout SeededGenerator,
                          other: () throws -> Tensor) throws -> Tensor {
        let numWs = ws.shape[1]
        guard probability > 0 && activeLayers > 1 else { return ws }
        var cutoff = 1 + Int(mixing.next() % UInt64(activeLayers - 1))
        if mixing.uniform(0...1) >= probability { cutoff = activeLayers }
        guard cutoff < numWs else { return ws }
        return try Tensor.concat([ws.slice(axis: 1, 0..<cutoff), other().slice(axis: 1, cutoff..<numWs)], axis: 1)
    }

    /// The key of phase `phase` (its index) of batch `batch`: what a StyleGAN2 round's draws derive from.
    static func phaseKey(seed: UInt64, batch: Int, phase: Int) -> UInt64 {
        SeededGenerator.key(seed ^ 0x5047_4132, UInt64(batch), UInt64(phase))
    }

    /// Batch `batch`'s randomness, a function of the run's seed and the batch number alone (so that a
    /// resumed run draws what the uninterrupted one would): device normals, and host draws for mixing.
    static func random(seed: UInt64, batch: Int) -> (stream: RandomStream, mixing: SeededGenerator) {
        (RandomStream(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(batch)),
         SeededGenerator(seed: seed ^ (UInt64(batch) &* 0xD1B5_4A32_D192_ED03)))
    }
}
