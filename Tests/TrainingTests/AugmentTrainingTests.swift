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
