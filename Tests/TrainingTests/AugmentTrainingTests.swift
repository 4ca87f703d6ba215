import Foundation
import Networks
import SafeTensors
import Tensors
import Testing
@testable import Training

/// Training with the augmentation pipeline: ADA's adjustment of p, exact resume, and the refusals of
/// the official `train.py`.
@Suite struct AugmentTrainingTests {
    /// Every 4 batches p moves by batch·4 / (ada_kimg·1000) in the direction of sign(mean − target),
    /// where the mean is over the signs of D's real logits of those 4 batches, and never below 0.
    @Test func adaMovesPByTheSignOfTheRealLogits() throws {
        var options = tinyOptions(kimg: 1)
        (options.aug, options.adaTarget, options.adaKimg) = (.ada, 0.1, 0.08)   // steps of 4·4 / 80 = 0.2
        let preset = try options.resolvedPreset(resolution: 8, channels: 3)
        let trainer = try StyleGAN2Trainer(preset: preset, options: options, device: .cpu)
        #expect(trainer.augmentP == 0)
        var expected = 0.0, moves = Set<Double>()
        for interval in 0..<6 {
            let stats = TickStatistics()
            for step in 0..<4 {
                try trainer.step(reals: Tensor.uniform([4, 3, 8, 8], seed: UInt64(interval * 4 + step)), stats: stats)
            }
            let signs = try #require(try stats.collect().first { $0.0 == .signsReal }?.1)
            #expect(signs.num == 16)
            let step = signs.mean > 0.1 ? 0.2 : signs.mean < 0.1 ? -0.2 : 0
            expected = Double(Float(Swift.max(expected + step, 0)))
            moves.insert(step)
            #expect(Swift.abs(trainer.augmentP - expected) < 1e-6, "interval \(interval): p \(trainer.augmentP), expected \(expected)")
        }
        #expect(trainer.augmentP > 0, "p never rose: the check saw only \(moves)")
    }

    /// A run with ADA stopped between two adjustments resumes exactly: weights, moments, p and the
    /// signs gathered since the last adjustment.
    @Test func anAdaRunResumesExactly() throws {
        var options = tinyOptions(kimg: 0.04)   // 10 batches: the split falls between two adjustments
        options.tickKimg = 0.02
        (options.aug, options.adaTarget, options.adaKimg) = (.ada, 0, 0.16)
        let (split, _) = try expectResumeIsExact(options)
        let straight = try temporaryFolder("ada-straight")
        try TrainingRun(options: options, outdir: straight, resume: nil, device: .cpu).run()
        func state(_ outdir: String) throws -> String {
            let file = try SafeTensorsFile(path: try #require(try TrainingRun.latestSnapshot(outdir: outdir)).snapshot)
            return try #require(file.metadata[TrainState.key])
        }
        #expect(try state(split) == state(straight))
        #expect(try state(split).contains("\"augment_p\""))
    }

    /// The official train.py's refusals, each with the option named, before anything is written.
    @Test func refusesWhatTheOfficialTrainerRefuses() throws {
        func refusal(_ change: (inout TrainingOptions) -> Void) -> String? {
            var options = tinyOptions(kimg: 0.004)
            change(&options)
            do {
                _ = try options.augmentSetup(architecture: options.preset.architecture, resolution: options.proceduralResolution, channels: 3)
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal { $0.aug = .ada } == nil)
        #expect(refusal { ($0.aug, $0.augmentP) = (.ada, 0.5) }?.hasPrefix("--p: can only be given with --aug fixed") == true)
        #expect(refusal { $0.aug = .fixed }?.hasPrefix("--aug fixed: needs --p") == true)
        #expect(refusal { ($0.aug, $0.augmentP) = (.fixed, 1.5) }?.hasPrefix("--p: must be between 0 and 1") == true)
        #expect(refusal { ($0.aug, $0.adaTarget) = (.fixed, 0.5) }?.hasPrefix("--target: can only be given with --aug ada") == true)
        #expect(refusal { ($0.aug, $0.augpipe) = (.noaug, "bgc") }?.hasPrefix("--augpipe: cannot be given with --aug noaug") == true)
        #expect(refusal { ($0.aug, $0.augpipe) = (.ada, "bgcx") }?.hasPrefix("--augpipe bgcx: unknown pipeline") == true)
        #expect(refusal { ($0.aug, $0.augpipe) = (.ada, "bgcf") }?.contains("at least 22 pixels, the data are 8") == true)
        #expect(refusal { ($0.aug, $0.preset) = (.ada, .stylegan1Small) }?.contains("StyleGAN (v1) trains without augmentation") == true)
        #expect(refusal { ($0.aug, $0.adaKimg) = (.noaug, 10) }?.hasPrefix("--ada-kimg: can only be given with --aug ada") == true)
    }
}

/// `--batch-gpu`: each phase in rounds, stepping with the rounds' mean gradient, and every random
/// draw a function of the sample's place in the batch.
@Suite struct BatchRoundTests {
    /// When nothing couples the samples of a round (minibatch-std groups of 1, no style mixing, no
    /// path length), a batch of 8 trained in rounds of 2 or 4 follows the batch trained whole, with
    /// augmentation and R1 on: the same draws per sample, and the mean of the rounds' gradients.
    @Test func roundsTrainAsTheWholeBatch() throws {
        func trainer(_ batchGPU: Int?) throws -> StyleGAN2Trainer {
            var options = tinyOptions(kimg: 1)
            (options.batch, options.mbstdGroup, options.batchGPU) = (8, 1, batchGPU)
            (options.aug, options.augmentP) = (.fixed, 0.6)
            var preset = try options.resolvedPreset(resolution: 8, channels: 3)
            (preset.styleMixingProb, preset.plWeight) = (0, 0)
            return try StyleGAN2Trainer(preset: preset, options: options, device: .cpu)
        }
        let whole = try trainer(nil), quarters = try trainer(2), halves = try trainer(4)
        for step in 0..<4 {
            let reals = try Tensor.uniform([8, 3, 8, 8], seed: UInt64(step))
            for t in [whole, quarters, halves] { try t.step(reals: reals, stats: TickStatistics()) }
        }
        for other in [quarters, halves] {
            for ((name, a), (_, b)) in zip(whole.G.namedParameters() + whole.D.namedParameters(),
                                           other.G.namedParameters() + other.D.namedParameters()) {
                let x = try a.value.toArray(), y = try b.value.toArray()
                let scale = Double(x.map { Swift.abs($0) }.max() ?? 0)
                let error = zip(x, y).map { Double(Swift.abs($0 - $1)) }.max() ?? 0
                #expect(error <= 1e-5 * Swift.max(scale, 1e-3), "\(name) (batch-gpu \(other.batchGPU)): max error \(error) of \(scale)")
            }
        }
        // And the whole batch moved: the check compares trained weights.
        let fresh = try trainer(nil)
        #expect(try whole.D.namedParameters()[0].1.value.toArray() != fresh.D.namedParameters()[0].1.value.toArray())
    }

    /// A run in rounds resumes exactly; a batch-gpu that does not divide the batch is refused.
    @Test func roundsResumeExactlyAndMustDivideTheBatch() throws {
        var options = tinyOptions(kimg: 0.032)
        (options.batch, options.batchGPU, options.aug) = (8, 4, .ada)
        try expectResumeIsExact(options)
        options.batchGPU = 3
        #expect(throws: TrainingError.batchNotDivisibleIntoRounds(batch: 8, batchGPU: 3)) {
            try options.resolvedPreset(resolution: 8, channels: 3)
        }
        // Minibatch-std groups stay within a round: a round of 4 and groups of 3 do not fit.
        (options.batchGPU, options.mbstdGroup) = (4, 3)
        #expect(throws: TrainingError.batchNotDivisible(batch: 4, mbstdGroup: 3)) { try options.resolvedPreset(resolution: 8, channels: 3) }
    }
}
