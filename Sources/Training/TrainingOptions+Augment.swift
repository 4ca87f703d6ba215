import Augmentation
import Networks

/// The official `--aug` modes.
public enum AugmentMode: String, Codable, CaseIterable, Sendable {
    /// Adaptive discriminator augmentation: p follows the sign of D's real logits toward a target.
    case ada
    /// No augmentation.
    case noaug
    /// A constant p (`--p`).
    case fixed
}

/// The augmentation a run trains with: the pipeline (with its starting p) and, for ADA, the target and speed.
struct AugmentSetup {
    var pipe: AugmentPipe
    /// ADA's target; nil: p stays fixed.
    var target: Double?
    /// Kimg over which p can change by 1.
    var adaKimg: Double
    /// Batches between adjustments (the official `ada_interval`).
    static let adaInterval = 4
}

extension TrainingOptions {
    /// The names `augpipe` takes (the official `train.py --augpipe` choices).
    public static var augmentPipelines: [String] { AugmentPipe.names }

    /// The run's augmentation, as the official `train.py` sets it up from `--aug`, `--p`,
    /// `--target` and `--augpipe` (with the same refusals), or nil for none.
    func augmentSetup(architecture: Preset.Architecture, resolution: Int, channels: Int) throws -> AugmentSetup? {
        let mode = aug ?? .noaug
        if let augmentP {
            guard mode == .fixed else { throw TrainingError.augmentOption(option: "--p", problem: "can only be given with --aug fixed") }
            guard (0...1).contains(augmentP) else { throw TrainingError.augmentOption(option: "--p", problem: "must be between 0 and 1, got \(augmentP)") }
        }
        if let adaTarget {
            guard mode == .ada else { throw TrainingError.augmentOption(option: "--target", problem: "can only be given with --aug ada") }
            guard (0...1).contains(adaTarget) else { throw TrainingError.augmentOption(option: "--target", problem: "must be between 0 and 1, got \(adaTarget)") }
        }
        if let adaKimg {
            guard mode == .ada else { throw TrainingError.augmentOption(option: "--ada-kimg", problem: "can only be given with --aug ada") }
            guard adaKimg > 0 && adaKimg.isFinite else { throw TrainingError.augmentOption(option: "--ada-kimg", problem: "must be positive, got \(adaKimg)") }
        }
        if mode == .noaug {
            if augpipe != nil { throw TrainingError.augmentOption(option: "--augpipe", problem: "cannot be given with --aug noaug") }
            return nil
        }
        guard architecture == .stylegan2 else {
            throw TrainingError.augmentOption(option: "--aug \(mode.rawValue)", problem: "StyleGAN (v1) trains without augmentation; use --aug noaug or a StyleGAN2 preset")
        }
        if mode == .fixed && augmentP == nil {
            throw TrainingError.augmentOption(option: "--aug fixed", problem: "needs --p (the augmentation probability)")
        }
        let name = augpipe ?? "bgc"
        guard var pipe = AugmentPipe(named: name) else {
            throw TrainingError.augmentOption(option: "--augpipe \(name)", problem: "unknown pipeline; choose one of \(AugmentPipe.names.joined(separator: ", "))")
        }
        guard channels == 1 || channels == 3 else {
            throw TrainingError.augmentOption(option: "--aug \(mode.rawValue)", problem: "augmentation needs RGB or grayscale images, the data have \(channels) channels; use --aug noaug")
        }
        guard resolution >= pipe.minimumImageSize else {
            throw TrainingError.augmentOption(option: "--augpipe \(name)", problem: "the image filter needs images of at least \(pipe.minimumImageSize) pixels, the data are \(resolution); choose a pipeline without 'f'")
        }
        pipe.p = augmentP ?? 0
        return AugmentSetup(pipe: pipe, target: mode == .ada ? adaTarget ?? 0.6 : nil, adaKimg: adaKimg ?? 500)
    }
}
