import Foundation
import StyleGANOps
import Tensors

extension StyleGAN1 {
    /// `D_basic`: FromRGB at the active resolution, blocks of `Conv0` and `Conv1_down` (blur before
    /// the down-sampling convolution), then minibatch std, `Conv`, `Dense0` and `Dense1` at 4×4.
    /// At `lod = k + α` the features after the active top block are blended with FromRGB of the
    /// half-resolution image: `(1 − α)·block(FromRGB(x)) + α·FromRGB(down(x))`.
    public final class Discriminator: Layer {
        public let config: DiscriminatorConfig
        /// `FromRGB_lod{R−r}` and its bias for each resolution 2^r, indexed by r − 2.
        public var fromRGB: [Conv] = []
        public var fromRGBBias: [Parameter] = []
        /// `Conv0` and `Conv1_down` with their biases for each resolution 2^r ≥ 8, indexed by r − 3.
        public var conv0: [(Conv, Parameter)] = []
        public var conv1: [(Conv, Parameter)] = []
        public var finalConv: Conv!
        public var finalBias: Parameter!
        public var dense0: Dense!
        public var dense1: Dense!
        public var lod: Buffer!
        let blurFilter: Tensor

        public init(_ config: DiscriminatorConfig, seed: UInt64 = 1, device: Device) throws {
            try config.validate()
            self.config = config
            blurFilter = try Filters.setupFilter(Filters.blurTaps, on: device)
            super.init(device: device)
            var random = InitRandom(seed: seed)
            let gain = 2.0.squareRoot(), top = config.resolutionLog2
            lod = buffer("lod", try Tensor.zeros([], on: device))
            for r in 2...top {
                let rgb = child("FromRGB_lod\(top - r)", try Conv(config.numChannels, config.nf(r - 1), kernel: 1, gain: gain,
                                                                 random: &random, device: device))
                fromRGB.append(rgb)
                fromRGBBias.append(rgb.parameter("bias", try Tensor.zeros([config.nf(r - 1)], on: device)))
            }
            for r in stride(from: top, through: 3, by: -1) {
                let res = 1 << r
                let scope = child("\(res)x\(res)", Layer(device: device))
                let c0 = scope.child("Conv0", try Conv(config.nf(r - 1), config.nf(r - 1), kernel: 3, gain: gain, random: &random, device: device))
                let b0 = c0.parameter("bias", try Tensor.zeros([config.nf(r - 1)], on: device))
                let c1 = scope.child("Conv1_down", try Conv(config.nf(r - 1), config.nf(r - 2), kernel: 3, gain: gain,
                                                            resample: try config.fused(inputResolution: res) ? .fusedDown : .none,
                                                            random: &random, device: device))
                let b1 = c1.parameter("bias", try Tensor.zeros([config.nf(r - 2)], on: device))
                conv0.insert((c0, b0), at: 0)
                conv1.insert((c1, b1), at: 0)
            }
            let scope = child("4x4", Layer(device: device))
            let extra = config.mbstdGroupSize > 1 ? config.mbstdNumFeatures : 0
            finalConv = scope.child("Conv", try Conv(config.nf(1) + extra, config.nf(1), kernel: 3, gain: gain, random: &random, device: device))
            finalBias = finalConv.parameter("bias", try Tensor.zeros([config.nf(1)], on: device))
            dense0 = scope.child("Dense0", try Dense(config.nf(1) * 16, config.nf(0), gain: gain, activation: .lrelu,
                                                     random: &random, device: device))
            dense1 = scope.child("Dense1", try Dense(config.nf(0), 1, gain: 1, activation: .linear, random: &random, device: device))
        }

        func lrelu(_ x: Tensor, _ bias: Parameter) throws -> Tensor {
            try x.biasAct(bias: bias.value, BiasActParameters(.lrelu, gain: 1))
        }

        func fromRGB(_ img: Tensor, _ r: Int) throws -> Tensor {
            try lrelu(fromRGB[r - 2](img), fromRGBBias[r - 2])
        }

        /// The block at resolution 2^r: `Conv0`, then blur and `Conv1_down` (fused, or conv then 2×2 average).
        func block(_ x: Tensor, _ r: Int) throws -> Tensor {
            let (c0, b0) = conv0[r - 3], (c1, b1) = conv1[r - 3]
            let h = try lrelu(c0(x), b0).blur2d(filter: blurFilter)
            let down = c1.resample == .fusedDown ? try c1(h) : try c1(h).downscale2d()
            return try lrelu(down, b1)
        }

        /// Logits `[N, 1]` for full-resolution images at level of detail `lod` (the stored one when nil).
        public func callAsFunction(_ img: Tensor, lod: Double? = nil) throws -> Tensor {
            let top = config.resolutionLog2
            let expected = [config.numChannels, config.resolution, config.resolution]
            guard img.rank == 4, Array(img.shape.dropFirst()) == expected else {
                throw TensorError.shapeMismatch(op: "StyleGAN1.Discriminator", shapes: [img.shape], reason: "is not [N, \(expected[0]), \(expected[1]), \(expected[2])]")
            }
            let level = try lod ?? Double(self.lod.value.item())
            guard level >= 0, level <= Double(top - 2) else {
                throw TensorError.invalidArgument(op: "StyleGAN1.Discriminator", reason: "lod \(level) outside 0...\(top - 2)")
            }
            let k = Int(level.rounded(.down)), alpha = level - Double(k)
            let active = top - k
            let image = k == 0 ? img : try img.downscale2d(factor: 1 << k)
            var x = try fromRGB(image, active)
            if active > 2 {
                x = try block(x, active)
                if alpha > 0 { x = try x.lerp(fromRGB(image.downscale2d(), active - 1), alpha) }
                for r in stride(from: active - 1, through: 3, by: -1) { x = try block(x, r) }
            }
            if config.mbstdGroupSize > 1 {
                x = try x.minibatchStd(groupSize: config.mbstdGroupSize, numChannels: config.mbstdNumFeatures)
            }
            x = try lrelu(finalConv(x), finalBias)
            return try dense1(dense0(x))
        }
    }
}
