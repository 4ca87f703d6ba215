import Foundation
import StyleGANOps
import Tensors

extension StyleGAN1 {
    /// One resolution's block of `D_basic` (scope `{res}x{res}`, 2^r ≥ 8): `Conv0`, then blur and
    /// `Conv1_down` (fused, or the convolution then a 2×2 average), each with bias and leaky ReLU.
    public final class DiscriminatorBlock: Layer {
        public let resolution: Int
        public let inChannels: Int
        public let conv0: Conv
        public let conv1: Conv
        let blurFilter: Tensor

        init(_ config: DiscriminatorConfig, resolution: Int, random: inout InitRandom, device: Device) throws {
            self.resolution = resolution
            let r = resolution.trailingZeroBitCount, gain = 2.0.squareRoot()
            inChannels = config.nf(r - 1)
            blurFilter = try Filters.setupFilter(Filters.blurTaps, on: device)
            conv0 = try Conv(config.nf(r - 1), config.nf(r - 1), kernel: 3, gain: gain, bias: true, activation: .lrelu,
                             random: &random, device: device)
            conv1 = try Conv(config.nf(r - 1), config.nf(r - 2), kernel: 3, gain: gain,
                             resample: try config.fused(inputResolution: resolution) ? .fusedDown : .down,
                             bias: true, activation: .lrelu, random: &random, device: device)
            super.init(device: device, children: [("Conv0", conv0), ("Conv1_down", conv1)])
        }

        func callAsFunction(_ x: Tensor) throws -> Tensor {
            try assertShape(x, [nil, inChannels, resolution, resolution], "x")
            return record(try conv1(conv0(x).blur2d(filter: blurFilter)))
        }
    }

    /// The 4×4 scope of `D_basic`: minibatch std, `Conv` (bias, leaky ReLU), `Dense0` and `Dense1`.
    public final class DiscriminatorEpilogue: Layer {
        public let inChannels: Int
        public let mbstdGroupSize: Int
        public let mbstdNumFeatures: Int
        public let conv: Conv
        public let dense0: Dense
        public let dense1: Dense

        init(_ config: DiscriminatorConfig, random: inout InitRandom, device: Device) throws {
            let gain = 2.0.squareRoot()
            inChannels = config.nf(1)
            mbstdGroupSize = config.mbstdGroupSize
            mbstdNumFeatures = config.mbstdNumFeatures
            let extra = config.mbstdGroupSize > 1 ? config.mbstdNumFeatures : 0
            conv = try Conv(config.nf(1) + extra, config.nf(1), kernel: 3, gain: gain, bias: true, activation: .lrelu,
                            random: &random, device: device)
            dense0 = try Dense(config.nf(1) * 16, config.nf(0), gain: gain, activation: .lrelu, random: &random, device: device)
            dense1 = try Dense(config.nf(0), 1, gain: 1, activation: .linear, random: &random, device: device)
            super.init(device: device, children: [("Conv", conv), ("Dense0", dense0), ("Dense1", dense1)])
        }

        func callAsFunction(_ x: Tensor) throws -> Tensor {
            try assertShape(x, [nil, inChannels, 4, 4], "x")
            var x = x
            if mbstdGroupSize > 1 { x = try x.minibatchStd(groupSize: mbstdGroupSize, numChannels: mbstdNumFeatures) }
            return record(try dense1(dense0(conv(x))))
        }
    }

    /// `D_basic`: FromRGB at the active resolution, blocks of `Conv0` and `Conv1_down` (blur before
    /// the down-sampling convolution), then minibatch std, `Conv`, `Dense0` and `Dense1` at 4×4.
    /// At `lod = k + α` the features after the active top block are blended with FromRGB of the
    /// half-resolution image: `(1 − α)·block(FromRGB(x)) + α·FromRGB(down(x))`.
    public final class Discriminator: Layer {
        public let config: DiscriminatorConfig
        /// `FromRGB_lod{R−r}` (with its bias and leaky ReLU) for each resolution 2^r, indexed by r − 2.
        public let fromRGB: [Conv]
        /// The blocks `{res}x{res}` for each resolution 2^r ≥ 8, indexed by r − 3.
        public let blocks: [DiscriminatorBlock]
        /// The 4×4 scope.
        public let epilogue: DiscriminatorEpilogue
        public let lod: Buffer

        public init(_ config: DiscriminatorConfig, seed: UInt64 = 1, device: Device) throws {
            try config.validate()
            self.config = config
            var random = InitRandom(seed: seed)
            let top = config.resolutionLog2
            lod = Buffer("lod", try Tensor.zeros([], on: device))
            fromRGB = try (2...top).map { r in
                try Conv(config.numChannels, config.nf(r - 1), kernel: 1, gain: 2.0.squareRoot(), bias: true, activation: .lrelu,
                         random: &random, device: device)
            }
            var blocks: [DiscriminatorBlock] = []
            for r in stride(from: top, through: 3, by: -1) {
                blocks.insert(try DiscriminatorBlock(config, resolution: 1 << r, random: &random, device: device), at: 0)
            }
            self.blocks = blocks
            epilogue = try DiscriminatorEpilogue(config, random: &random, device: device)
            let children: [(String, Layer?)] = zip(2...top, fromRGB).map { ("FromRGB_lod\(top - $0)", $1) }
                + blocks.reversed().map { ("\($0.resolution)x\($0.resolution)", $0) } + [("4x4", epilogue)]
            super.init(device: device, buffers: [lod], children: children)
        }

        func fromRGB(_ img: Tensor, _ r: Int) throws -> Tensor { try fromRGB[r - 2](img) }

        /// Logits `[N, 1]` for full-resolution images at level of detail `lod` (the stored one when nil).
        public func callAsFunction(_ img: Tensor, lod: Double? = nil) throws -> Tensor {
            let top = config.resolutionLog2
            try assertShape(img, [nil, config.numChannels, config.resolution, config.resolution], "images")
            let level = try lod ?? Double(self.lod.value.item())
            guard level >= 0, level <= Double(top - 2) else {
                throw TensorError.invalidArgument(op: "StyleGAN1.Discriminator", reason: "lod \(level) outside 0...\(top - 2)")
            }
            let k = Int(level.rounded(.down)), alpha = level - Double(k)
            let active = top - k
            let image = k == 0 ? img : try img.downscale2d(factor: 1 << k)
            var x = try fromRGB(image, active)
            if active > 2 {
                x = try blocks[active - 3](x)
                if alpha > 0 { x = try x.lerp(fromRGB(image.downscale2d(), active - 1), alpha) }
                for r in stride(from: active - 1, through: 3, by: -1) { x = try blocks[r - 3](x) }
            }
            return try epilogue(x)
        }
    }
}
