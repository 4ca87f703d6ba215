import Foundation

/// StyleGAN2's networks, following NVlabs/stylegan2-ada-pytorch `training/networks.py`
/// class by class, with the official parameter names.
public enum StyleGAN2 {}

extension StyleGAN2 {
    /// The official `architecture` values of the synthesis network and the discriminator.
    public enum Architecture: String, Codable, Sendable, CaseIterable {
        case orig, skip, resnet

        public init(from decoder: Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let value = Architecture(rawValue: text) else {
                throw NetworkError.unknownValue(key: "architecture", value: text, choices: ["orig", "skip", "resnet"])
            }
            self = value
        }
    }

    /// The official `Generator` constructor keyword arguments (`G_kwargs`), with their JSON names.
    public struct GeneratorConfig: Codable, Equatable, Sendable {
        public var zDim = 512
        public var cDim = 0
        public var wDim = 512
        public var imgResolution = 256
        public var imgChannels = 3
        public var mapping = MappingConfig()
        public var synthesis = SynthesisConfig()

        public struct MappingConfig: Codable, Equatable, Sendable {
            public var numLayers = 8
            public var lrMultiplier = 0.01
            public var wAvgBeta = 0.995
            public init() {}
            enum CodingKeys: String, CodingKey {
                case numLayers = "num_layers", lrMultiplier = "lr_multiplier", wAvgBeta = "w_avg_beta"
            }
            public init(from decoder: Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                numLayers = try c.decodeIfPresent(Int.self, forKey: .numLayers) ?? numLayers
                lrMultiplier = try c.decodeIfPresent(Double.self, forKey: .lrMultiplier) ?? lrMultiplier
                wAvgBeta = try c.decodeIfPresent(Double.self, forKey: .wAvgBeta) ?? wAvgBeta
            }
        }

        public struct SynthesisConfig: Codable, Equatable, Sendable {
            public var channelBase = 32768
            public var channelMax = 512
            public var numFP16Res = 0
            public var convClamp: Double? = nil
            public var architecture = Architecture.skip
            public init() {}
            enum CodingKeys: String, CodingKey {
                case channelBase = "channel_base", channelMax = "channel_max", numFP16Res = "num_fp16_res"
                case convClamp = "conv_clamp", architecture
            }
            public init(from decoder: Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                channelBase = try c.decodeIfPresent(Int.self, forKey: .channelBase) ?? channelBase
                channelMax = try c.decodeIfPresent(Int.self, forKey: .channelMax) ?? channelMax
                numFP16Res = try c.decodeIfPresent(Int.self, forKey: .numFP16Res) ?? numFP16Res
                convClamp = try c.decodeIfPresent(Double.self, forKey: .convClamp)
                architecture = try c.decodeIfPresent(Architecture.self, forKey: .architecture) ?? architecture
            }
            public func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(channelBase, forKey: .channelBase)
                try c.encode(channelMax, forKey: .channelMax)
                try c.encode(numFP16Res, forKey: .numFP16Res)
                if let convClamp { try c.encode(convClamp, forKey: .convClamp) } else { try c.encodeNil(forKey: .convClamp) }
                try c.encode(architecture, forKey: .architecture)
            }
        }

        public init() {}

        enum CodingKeys: String, CodingKey {
            case zDim = "z_dim", cDim = "c_dim", wDim = "w_dim", imgResolution = "img_resolution"
            case imgChannels = "img_channels", mapping = "mapping_kwargs", synthesis = "synthesis_kwargs"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            zDim = try c.decodeIfPresent(Int.self, forKey: .zDim) ?? zDim
            cDim = try c.decodeIfPresent(Int.self, forKey: .cDim) ?? cDim
            wDim = try c.decodeIfPresent(Int.self, forKey: .wDim) ?? wDim
            imgResolution = try c.decode(Int.self, forKey: .imgResolution)
            imgChannels = try c.decodeIfPresent(Int.self, forKey: .imgChannels) ?? imgChannels
            mapping = try c.decodeIfPresent(MappingConfig.self, forKey: .mapping) ?? mapping
            synthesis = try c.decodeIfPresent(SynthesisConfig.self, forKey: .synthesis) ?? synthesis
        }

        /// Channels at `resolution`: `min(channel_base / res, channel_max)`.
        public func channels(at resolution: Int) -> Int { min(synthesis.channelBase / resolution, synthesis.channelMax) }

        /// Throws unless the configuration describes a network this project builds.
        public func validate() throws {
            try checkResolution(imgResolution)
            guard zDim >= 1, wDim >= 1, imgChannels >= 1, mapping.numLayers >= 1 else {
                throw NetworkError.nonPositiveSizes("z_dim \(zDim), w_dim \(wDim), img_channels \(imgChannels) and mapping num_layers \(mapping.numLayers) must be at least 1")
            }
            guard cDim == 0 else { throw NetworkError.conditional(cDim: cDim) }
            guard synthesis.architecture == .skip else {
                throw NetworkError.unsupportedArchitecture(network: "synthesis", architecture: synthesis.architecture.rawValue, supported: ["skip"])
            }
            guard channels(at: imgResolution) >= 1 else {
                throw NetworkError.noChannels(channelBase: synthesis.channelBase, resolution: imgResolution)
            }
        }
    }

    /// The official `Discriminator` constructor keyword arguments (`D_kwargs`).
    public struct DiscriminatorConfig: Codable, Equatable, Sendable {
        public var cDim = 0
        public var imgResolution = 256
        public var imgChannels = 3
        public var architecture = Architecture.resnet
        public var channelBase = 32768
        public var channelMax = 512
        public var numFP16Res = 0
        public var convClamp: Double? = nil
        /// Samples per minibatch-std group; nil is the official `None` (one group of the whole
        /// batch), 0 turns the layer off.
        public var mbstdGroupSize: Int? = 4
        public var mbstdNumChannels = 1

        public init() {}

        enum CodingKeys: String, CodingKey {
            case cDim = "c_dim", imgResolution = "img_resolution", imgChannels = "img_channels", architecture
            case channelBase = "channel_base", channelMax = "channel_max", numFP16Res = "num_fp16_res"
            case convClamp = "conv_clamp", epilogue = "epilogue_kwargs"
        }
        enum EpilogueKeys: String, CodingKey {
            case mbstdGroupSize = "mbstd_group_size", mbstdNumChannels = "mbstd_num_channels"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            cDim = try c.decodeIfPresent(Int.self, forKey: .cDim) ?? cDim
            imgResolution = try c.decode(Int.self, forKey: .imgResolution)
            imgChannels = try c.decodeIfPresent(Int.self, forKey: .imgChannels) ?? imgChannels
            architecture = try c.decodeIfPresent(Architecture.self, forKey: .architecture) ?? architecture
            channelBase = try c.decodeIfPresent(Int.self, forKey: .channelBase) ?? channelBase
            channelMax = try c.decodeIfPresent(Int.self, forKey: .channelMax) ?? channelMax
            numFP16Res = try c.decodeIfPresent(Int.self, forKey: .numFP16Res) ?? numFP16Res
            convClamp = try c.decodeIfPresent(Double.self, forKey: .convClamp)
            if c.contains(.epilogue) {
                let e = try c.nestedContainer(keyedBy: EpilogueKeys.self, forKey: .epilogue)
                // The official `None` means one group of the whole batch.
                if e.contains(.mbstdGroupSize), try e.decodeNil(forKey: .mbstdGroupSize) {
                    mbstdGroupSize = nil
                } else {
                    mbstdGroupSize = try e.decodeIfPresent(Int.self, forKey: .mbstdGroupSize) ?? mbstdGroupSize
                }
                mbstdNumChannels = try e.decodeIfPresent(Int.self, forKey: .mbstdNumChannels) ?? mbstdNumChannels
            }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(cDim, forKey: .cDim)
            try c.encode(imgResolution, forKey: .imgResolution)
            try c.encode(imgChannels, forKey: .imgChannels)
            try c.encode(architecture, forKey: .architecture)
            try c.encode(channelBase, forKey: .channelBase)
            try c.encode(channelMax, forKey: .channelMax)
            try c.encode(numFP16Res, forKey: .numFP16Res)
            if let convClamp { try c.encode(convClamp, forKey: .convClamp) } else { try c.encodeNil(forKey: .convClamp) }
            var e = c.nestedContainer(keyedBy: EpilogueKeys.self, forKey: .epilogue)
            if let mbstdGroupSize { try e.encode(mbstdGroupSize, forKey: .mbstdGroupSize) } else { try e.encodeNil(forKey: .mbstdGroupSize) }
            try e.encode(mbstdNumChannels, forKey: .mbstdNumChannels)
        }

        public func channels(at resolution: Int) -> Int { min(channelBase / resolution, channelMax) }

        public func validate() throws {
            try checkResolution(imgResolution)
            guard cDim == 0 else { throw NetworkError.conditional(cDim: cDim) }
            guard architecture == .resnet || architecture == .orig else {
                throw NetworkError.unsupportedArchitecture(network: "discriminator", architecture: architecture.rawValue, supported: ["resnet", "orig"])
            }
            guard (mbstdGroupSize ?? 0) >= 0, mbstdNumChannels >= 1, channels(at: imgResolution) >= 1 else {
                throw NetworkError.nonPositiveSizes("mbstd_group_size \(mbstdGroupSize.map(String.init) ?? "None"), mbstd_num_channels \(mbstdNumChannels), channels at \(imgResolution) px must be positive")
            }
        }
    }
}

/// Throws unless `resolution` is a power of two of at least 4.
func checkResolution(_ resolution: Int) throws {
    guard resolution >= 4, resolution & (resolution - 1) == 0 else {
        throw NetworkError.resolution(resolution)
    }
}
