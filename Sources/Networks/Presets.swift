import Foundation

/// Training configurations with the official names and values (stylegan2-ada-pytorch `train.py`
/// `cfg_specs`, and NVlabs/stylegan's FFHQ configuration for v1), plus small ones that train
/// in minutes on a CPU.
///
/// This project computes in float32 throughout, so StyleGAN2 presets use what the official
/// `--fp32` flag sets: `num_fp16_res = 0` and `conv_clamp = None`.
public struct Preset: Equatable, Sendable {
    public enum Architecture: String, Sendable { case stylegan2, stylegan1 }

    /// The presets, spelled as `--preset` takes them.
    public enum Name: String, Codable, Sendable, CaseIterable {
        case auto, stylegan2, paper256, paper512, paper1024, cifar, small
        case stylegan1FFHQ = "stylegan1-ffhq", stylegan1Small = "stylegan1-small"

        /// The architecture of the networks the preset makes.
        public var architecture: Architecture {
            switch self {
            case .stylegan1FFHQ, .stylegan1Small: .stylegan1
            default: .stylegan2
            }
        }
    }

    public var name: Name
    public var architecture: Architecture
    /// The StyleGAN2 network arguments (for `stylegan2` presets).
    public var generator: StyleGAN2.GeneratorConfig?
    public var discriminator: StyleGAN2.DiscriminatorConfig?
    /// The StyleGAN (v1) network arguments (for `stylegan1` presets).
    public var generatorV1: StyleGAN1.GeneratorConfig?
    public var discriminatorV1: StyleGAN1.DiscriminatorConfig?
    /// StyleGAN (v1): the official `training_schedule` (minibatch, learning rates and tick length per
    /// resolution).
    public var scheduleV1: StyleGAN1Schedule?
    /// Total batch size (`mb`); for v1, the schedule's `minibatch_base`.
    public var batch: Int
    /// Adam learning rate of G and D (`lrate`).
    public var learningRate: Double
    /// R1 weight (`gamma`).
    public var r1Gamma: Double
    /// EMA half-life in thousands of images (`ema`), and its ramp-up (`ramp`, nil: none).
    public var emaKimg: Double
    public var emaRampup: Double?
    /// Training length in thousands of images (`kimg`).
    public var totalKimg: Int
    public var styleMixingProb: Double
    /// Path-length regularisation weight (0 disables it).
    public var plWeight: Double
    /// x-flip augmentation (`mirror_augment`) unless the run says otherwise.
    public var mirror = false

    /// The preset `name` for a dataset of `resolution`×`resolution` images with `channels` channels.
    public static func named(_ name: Name, resolution: Int, channels: Int = 3) throws -> Preset {
        try checkResolution(resolution)
        switch name {
        case .auto:
            // train.py: the `auto` formulas, for one reference GPU batch derived from the resolution.
            let mb = Swift.max(Swift.min(Swift.min(4096 / resolution, 32), 64), 1)
            let fmaps = resolution >= 512 ? 1.0 : 0.5
            return stylegan2(name, resolution, channels, mb: mb, mbstd: Swift.min(mb, 4), fmaps: fmaps,
                             lrate: resolution >= 1024 ? 0.002 : 0.0025, gamma: 0.0002 * Double(resolution * resolution) / Double(mb),
                             ema: Double(mb) * 10 / 32, ramp: 0.05, map: 2, kimg: 25000)
        case .stylegan2:
            return stylegan2(name, resolution, channels, mb: 32, mbstd: 4, fmaps: 1, lrate: 0.002, gamma: 10, ema: 10, ramp: nil, map: 8, kimg: 25000)
        case .paper256:
            return stylegan2(name, resolution, channels, mb: 64, mbstd: 8, fmaps: 0.5, lrate: 0.0025, gamma: 1, ema: 20, ramp: nil, map: 8, kimg: 25000)
        case .paper512:
            return stylegan2(name, resolution, channels, mb: 64, mbstd: 8, fmaps: 1, lrate: 0.0025, gamma: 0.5, ema: 20, ramp: nil, map: 8, kimg: 25000)
        case .paper1024:
            return stylegan2(name, resolution, channels, mb: 32, mbstd: 4, fmaps: 1, lrate: 0.002, gamma: 2, ema: 10, ramp: nil, map: 8, kimg: 25000)
        case .cifar:
            var p = stylegan2(name, resolution, channels, mb: 64, mbstd: 32, fmaps: 1, lrate: 0.0025, gamma: 0.01, ema: 500, ramp: 0.05, map: 2, kimg: 100000)
            p.discriminator?.architecture = .orig
            p.styleMixingProb = 0
            p.plWeight = 0
            return p
        case .small:
            // Not official: a narrow network (64 channels at most, 128-d latents) that learns
            // visibly within minutes on a CPU; the auto formulas for gamma and EMA.
            var p = stylegan2(name, resolution, channels, mb: 16, mbstd: 4, fmaps: 1024.0 / 32768, lrate: 0.0025,
                              gamma: 0.0002 * Double(resolution * resolution) / 16, ema: 5, ramp: 0.05, map: 2, kimg: 500)
            p.generator?.zDim = 128
            p.generator?.wDim = 128
            p.generator?.synthesis.channelMax = 64
            p.discriminator?.channelMax = 64
            return p
        case .stylegan1FFHQ:
            // NVlabs/stylegan train.py, FFHQ: the schedule of `StyleGAN1Schedule.ffhq`, R1 gamma 10,
            // G smoothing 10 kimg, mirrored images.
            let schedule = StyleGAN1Schedule.ffhq
            var p = Preset(name: name, architecture: .stylegan1, generatorV1: v1Generator(resolution, channels, fmapBase: 8192, latent: 512),
                           discriminatorV1: v1Discriminator(resolution, channels, fmapBase: 8192), scheduleV1: schedule,
                           batch: schedule.minibatchBase, learningRate: schedule.gLrateBase, r1Gamma: 10,
                           emaKimg: 10, emaRampup: nil, totalKimg: 25000, styleMixingProb: 0.9, plWeight: 0)
            p.mirror = true
            return p
        case .stylegan1Small:
            // Not official: larger minibatches at the cheap low resolutions, 16 from 16² up, a
            // tick every 4 kimg.
            var g = v1Generator(resolution, channels, fmapBase: 1024, latent: 128)
            g.fmapMax = 64
            var d = v1Discriminator(resolution, channels, fmapBase: 1024)
            d.fmapMax = 64
            var schedule = StyleGAN1Schedule()
            schedule.lodInitialResolution = 8
            (schedule.minibatchBase, schedule.minibatchDict) = (16, [4: 64, 8: 32])
            (schedule.tickKimgBase, schedule.tickKimgDict) = (4, [:])
            return Preset(name: name, architecture: .stylegan1, generatorV1: g, discriminatorV1: d, scheduleV1: schedule,
                          batch: schedule.minibatchBase, learningRate: schedule.gLrateBase,
                          r1Gamma: 10, emaKimg: 5, emaRampup: nil, totalKimg: 500, styleMixingProb: 0.9, plWeight: 0)
        }
    }

    static func stylegan2(_ name: Name, _ resolution: Int, _ channels: Int, mb: Int, mbstd: Int, fmaps: Double, lrate: Double,
                          gamma: Double, ema: Double, ramp: Double?, map: Int, kimg: Int) -> Preset {
        var g = StyleGAN2.GeneratorConfig()
        g.imgResolution = resolution
        g.imgChannels = channels
        g.mapping.numLayers = map
        g.synthesis.channelBase = Int(fmaps * 32768)
        var d = StyleGAN2.DiscriminatorConfig()
        d.imgResolution = resolution
        d.imgChannels = channels
        d.channelBase = Int(fmaps * 32768)
        d.mbstdGroupSize = mbstd
        return Preset(name: name, architecture: .stylegan2, generator: g, discriminator: d, batch: mb, learningRate: lrate,
                      r1Gamma: gamma, emaKimg: ema, emaRampup: ramp, totalKimg: kimg, styleMixingProb: 0.9, plWeight: 2)
    }

    static func v1Generator(_ resolution: Int, _ channels: Int, fmapBase: Int, latent: Int) -> StyleGAN1.GeneratorConfig {
        var g = StyleGAN1.GeneratorConfig(resolution: resolution)
        g.numChannels = channels
        g.fmapBase = fmapBase
        (g.latentSize, g.dlatentSize, g.mappingFmaps) = (latent, latent, latent)
        return g
    }

    static func v1Discriminator(_ resolution: Int, _ channels: Int, fmapBase: Int) -> StyleGAN1.DiscriminatorConfig {
        var d = StyleGAN1.DiscriminatorConfig(resolution: resolution)
        d.numChannels = channels
        d.fmapBase = fmapBase
        return d
    }
}
