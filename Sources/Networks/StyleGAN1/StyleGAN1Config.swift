import Foundation

/// StyleGAN (v1)'s networks, following NVlabs/stylegan `training/networks_stylegan.py`
/// (`G_style` = `G_mapping` + `G_synthesis`, and `D_basic`).
///
/// Tensor names are the official TensorFlow variable names with `/` replaced by `.`
/// (`synthesis.8x8.Conv0_up.StyleMod.weight`, `D.FromRGB_lod1.weight`), stored in this
/// project's layouts: convolution weights `[out, in, kh, kw]` and dense weights `[out, in]`
/// (TensorFlow's HWIO and `[in, out]` transposed), so a converter permutes them.
public enum StyleGAN1 {}

extension StyleGAN1 {
    /// The official `fused_scale`: whether resampling convolutions are fused (`true`), separate
    /// (`false`), or fused from 128² up (`auto`).
    public enum FusedScale: String, Codable, Sendable, CaseIterable {
        case auto
        case fused = "true"
        case separate = "false"

        public init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) {
                self = flag ? .fused : .separate
                return
            }
            let text = try container.decode(String.self)
            guard let value = FusedScale(rawValue: text) else {
                throw NetworkError.unknownValue(key: "fused_scale", value: text, choices: ["auto", "true", "false"])
            }
            self = value
        }

        /// Whether the convolution at `resolution` is fused.
        public func isFused(resolution: Int) -> Bool {
            switch self {
            case .auto: return resolution >= 128
            case .fused: return true
            case .separate: return false
            }
        }
    }
}

extension StyleGAN1 {
    /// `G_style` / `G_mapping` / `G_synthesis` arguments, with the official names.
    public struct GeneratorConfig: Codable, Equatable, Sendable {
        public var resolution = 1024
        public var numChannels = 3
        public var latentSize = 512
        public var dlatentSize = 512
        public var mappingLayers = 8
        public var mappingFmaps = 512
        public var mappingLrmul = 0.01
        public var fmapBase = 8192
        public var fmapDecay = 1.0
        public var fmapMax = 512
        /// `auto` (fused up-sampling convolutions from 128 px up), `true` or `false`.
        public var fusedScale = FusedScale.auto
        public var dlatentAvgBeta = 0.995
        public var truncationPsi = 0.7
        public var truncationCutoff = 8
        public var styleMixingProb = 0.9

        public init() {}
        public init(resolution: Int) { self.resolution = resolution }

        enum CodingKeys: String, CodingKey {
            case resolution, numChannels = "num_channels", latentSize = "latent_size", dlatentSize = "dlatent_size"
            case mappingLayers = "mapping_layers", mappingFmaps = "mapping_fmaps", mappingLrmul = "mapping_lrmul"
            case fmapBase = "fmap_base", fmapDecay = "fmap_decay", fmapMax = "fmap_max", fusedScale = "fused_scale"
            case dlatentAvgBeta = "dlatent_avg_beta", truncationPsi = "truncation_psi", truncationCutoff = "truncation_cutoff"
            case styleMixingProb = "style_mixing_prob"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = GeneratorConfig()
            resolution = try c.decode(Int.self, forKey: .resolution)
            numChannels = try c.decodeIfPresent(Int.self, forKey: .numChannels) ?? d.numChannels
            latentSize = try c.decodeIfPresent(Int.self, forKey: .latentSize) ?? d.latentSize
            dlatentSize = try c.decodeIfPresent(Int.self, forKey: .dlatentSize) ?? d.dlatentSize
            mappingLayers = try c.decodeIfPresent(Int.self, forKey: .mappingLayers) ?? d.mappingLayers
            mappingFmaps = try c.decodeIfPresent(Int.self, forKey: .mappingFmaps) ?? d.mappingFmaps
            mappingLrmul = try c.decodeIfPresent(Double.self, forKey: .mappingLrmul) ?? d.mappingLrmul
            fmapBase = try c.decodeIfPresent(Int.self, forKey: .fmapBase) ?? d.fmapBase
            fmapDecay = try c.decodeIfPresent(Double.self, forKey: .fmapDecay) ?? d.fmapDecay
            fmapMax = try c.decodeIfPresent(Int.self, forKey: .fmapMax) ?? d.fmapMax
            fusedScale = try c.decodeIfPresent(FusedScale.self, forKey: .fusedScale) ?? d.fusedScale
            dlatentAvgBeta = try c.decodeIfPresent(Double.self, forKey: .dlatentAvgBeta) ?? d.dlatentAvgBeta
            truncationPsi = try c.decodeIfPresent(Double.self, forKey: .truncationPsi) ?? d.truncationPsi
            truncationCutoff = try c.decodeIfPresent(Int.self, forKey: .truncationCutoff) ?? d.truncationCutoff
            styleMixingProb = try c.decodeIfPresent(Double.self, forKey: .styleMixingProb) ?? d.styleMixingProb
        }

        /// `nf(stage) = min(fmap_base / 2^(stage·fmap_decay), fmap_max)`; resolution 2^r uses stage r − 1.
        public func nf(_ stage: Int) -> Int { Swift.min(Int(Double(fmapBase) / pow(2, Double(stage) * fmapDecay)), fmapMax) }

        /// log2 of the resolution.
        public var resolutionLog2: Int { resolution.trailingZeroBitCount }
        /// Dlatents: two per resolution from 4×4 up.
        public var numLayers: Int { 2 * resolutionLog2 - 2 }

        /// Whether the up-sampling convolution of the block at `2^r` is fused.
        public func fused(outputResolution: Int) throws -> Bool { fusedScale.isFused(resolution: outputResolution) }

        public func validate() throws {
            guard fmapDecay >= 0, fmapDecay <= 16, fmapBase >= 1 else {
                throw NetworkError.featureMaps(decay: fmapDecay, base: fmapBase)
            }
            try checkResolution(resolution)
            guard numChannels >= 1, latentSize >= 1, dlatentSize >= 1, mappingLayers >= 1, mappingFmaps >= 1, nf(resolutionLog2 - 1) >= 1 else {
                throw NetworkError.nonPositiveSizes("sizes must be positive (num_channels, latent_size, dlatent_size, mapping_layers, mapping_fmaps, fmap_base)")
            }
            _ = try fused(outputResolution: resolution)
        }
    }

    /// `D_basic` arguments, with the official names.
    public struct DiscriminatorConfig: Codable, Equatable, Sendable {
        public var resolution = 1024
        public var numChannels = 3
        public var fmapBase = 8192
        public var fmapDecay = 1.0
        public var fmapMax = 512
        public var mbstdGroupSize = 4
        public var mbstdNumFeatures = 1
        public var fusedScale = FusedScale.auto

        public init() {}
        public init(resolution: Int) { self.resolution = resolution }

        enum CodingKeys: String, CodingKey {
            case resolution, numChannels = "num_channels", fmapBase = "fmap_base", fmapDecay = "fmap_decay", fmapMax = "fmap_max"
            case mbstdGroupSize = "mbstd_group_size", mbstdNumFeatures = "mbstd_num_features", fusedScale = "fused_scale"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = DiscriminatorConfig()
            resolution = try c.decode(Int.self, forKey: .resolution)
            numChannels = try c.decodeIfPresent(Int.self, forKey: .numChannels) ?? d.numChannels
            fmapBase = try c.decodeIfPresent(Int.self, forKey: .fmapBase) ?? d.fmapBase
            fmapDecay = try c.decodeIfPresent(Double.self, forKey: .fmapDecay) ?? d.fmapDecay
            fmapMax = try c.decodeIfPresent(Int.self, forKey: .fmapMax) ?? d.fmapMax
            mbstdGroupSize = try c.decodeIfPresent(Int.self, forKey: .mbstdGroupSize) ?? d.mbstdGroupSize
            mbstdNumFeatures = try c.decodeIfPresent(Int.self, forKey: .mbstdNumFeatures) ?? d.mbstdNumFeatures
            fusedScale = try c.decodeIfPresent(FusedScale.self, forKey: .fusedScale) ?? d.fusedScale
        }

        public func nf(_ stage: Int) -> Int { Swift.min(Int(Double(fmapBase) / pow(2, Double(stage) * fmapDecay)), fmapMax) }
        public var resolutionLog2: Int { resolution.trailingZeroBitCount }

        /// Whether the down-sampling convolution of the block at input resolution `resolution` is fused.
        public func fused(inputResolution: Int) throws -> Bool { fusedScale.isFused(resolution: inputResolution) }

        public func validate() throws {
            guard fmapDecay >= 0, fmapDecay <= 16, fmapBase >= 1 else {
                throw NetworkError.featureMaps(decay: fmapDecay, base: fmapBase)
            }
            try checkResolution(resolution)
            guard numChannels >= 1, mbstdGroupSize >= 0, mbstdNumFeatures >= 1, nf(1) >= 1 else {
                throw NetworkError.nonPositiveSizes("num_channels, mbstd_num_features and fmap_base must be positive")
            }
            _ = try fused(inputResolution: resolution)
        }
    }
}
