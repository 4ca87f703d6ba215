import Foundation

/// StyleGAN (v1)'s training schedule, as the official `training_schedule` in NVlabs/stylegan
/// `training/training_loop.py`: the level of detail grows with the images shown, and the minibatch
/// size, the learning rates and the tick length follow the resolution being trained.
public struct StyleGAN1Schedule: Equatable, Sendable {
    /// The resolution training starts at, and the kimg of each stable phase and each fade-in.
    public var lodInitialResolution = 4
    public var lodTrainingKimg = 600.0
    public var lodTransitionKimg = 600.0
    /// The minibatch where `minibatchDict` has no entry for the resolution.
    public var minibatchBase = 16
    public var minibatchDict: [Int: Int] = [:]
    /// The largest minibatch at any resolution (memory); nil: no cap. `--batch` sets it.
    public var maxMinibatch: Int? = nil
    public var gLrateBase = 0.001
    public var gLrateDict: [Int: Double] = [:]
    public var dLrateBase = 0.001
    public var dLrateDict: [Int: Double] = [:]
    /// Learning rates ramp up linearly over this many kimg (0: no ramp-up).
    public var lrateRampupKimg = 0.0
    public var tickKimgBase = 160.0
    public var tickKimgDict: [Int: Double] = StyleGAN1Schedule.officialTickKimg

    /// The official `tick_kimg_dict`.
    public static let officialTickKimg: [Int: Double] = [4: 160, 8: 140, 16: 120, 32: 100, 64: 80, 128: 60, 256: 40, 512: 30, 1024: 20]

    public init() {}

    /// The schedule at one point of training.
    public struct Values: Equatable, Sendable {
        /// Level of detail: 0 is the full resolution; fractions fade the next resolution in.
        public var lod: Double
        /// The resolution being trained (during a fade-in, the one fading in).
        public var resolution: Int
        public var minibatch: Int
        public var gLrate: Double
        public var dLrate: Double
        public var tickKimg: Double
    }

    /// The schedule after `nimg` images for a network of `2^resolutionLog2` pixels.
    public func values(nimg: Int, resolutionLog2: Int) -> Values {
        let kimg = Double(nimg) / 1000
        let phaseDuration = lodTrainingKimg + lodTransitionKimg
        let phase = phaseDuration > 0 ? (kimg / phaseDuration).rounded(.down) : 0
        let phaseKimg = kimg - phase * phaseDuration
        var lod = Double(resolutionLog2 - lodInitialResolution.trailingZeroBitCount) - phase
        if lodTransitionKimg > 0 { lod -= Swift.max(phaseKimg - lodTrainingKimg, 0) / lodTransitionKimg }
        lod = Swift.max(lod, 0)
        let resolution = 1 << (resolutionLog2 - Int(lod.rounded(.down)))
        var minibatch = minibatchDict[resolution] ?? minibatchBase
        if let maxMinibatch { minibatch = Swift.min(minibatch, maxMinibatch) }
        var (g, d) = (gLrateDict[resolution] ?? gLrateBase, dLrateDict[resolution] ?? dLrateBase)
        if lrateRampupKimg > 0 {
            let ramp = Swift.min(kimg / lrateRampupKimg, 1)
            (g, d) = (g * ramp, d * ramp)
        }
        return Values(lod: lod, resolution: resolution, minibatch: minibatch, gLrate: g, dLrate: d,
                      tickKimg: tickKimgDict[resolution] ?? tickKimgBase)
    }

    /// Every minibatch size the schedule can give for networks up to `2^resolutionLog2` pixels.
    public func minibatchSizes(resolutionLog2: Int) -> [Int] {
        (2...resolutionLog2).map { r in
            let size = minibatchDict[1 << r] ?? minibatchBase
            return maxMinibatch.map { Swift.min(size, $0) } ?? size
        }
    }

    /// The official FFHQ configuration of `train.py` (8 GPUs): minibatch 512 at 4², halving to 32
    /// from 64² up, learning rate 0.001 up to 64² and 0.0015–0.003 above, from 8².
    public static var ffhq: StyleGAN1Schedule {
        var s = StyleGAN1Schedule()
        s.lodInitialResolution = 8
        s.minibatchBase = 32
        s.minibatchDict = [4: 512, 8: 256, 16: 128, 32: 64, 64: 32]
        s.gLrateDict = [128: 0.0015, 256: 0.002, 512: 0.003, 1024: 0.003]
        s.dLrateDict = s.gLrateDict
        return s
    }
}
