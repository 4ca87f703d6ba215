import Foundation
import StyleGANOps
import Tensors

extension StyleGAN2 {
    /// `Conv2dLayer`: equalized-lr convolution (gain `1/√(in·k²)`) with optional FIR down-sampling,
    /// then bias + activation.
    public final class Conv2dLayer: Layer {
        public let activation: Activation
        public let down: Int
        public let padding: Int
        public let weightGain: Double
        public let convClamp: Double?
        public var weight: Parameter!
        public var bias: Parameter?
        public var resampleFilter: Buffer!

        public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, bias: Bool = true, activation: Activation = .linear,
                    down: Int = 1, convClamp: Double?, random: inout InitRandom, device: Device) throws {
            self.activation = activation
            self.down = down
            padding = kernelSize / 2
            weightGain = 1 / Double(inChannels * kernelSize * kernelSize).squareRoot()
            self.convClamp = convClamp
            super.init(device: device)
            weight = parameter("weight", try random.normal([outChannels, inChannels, kernelSize, kernelSize], on: device))
            if bias { self.bias = parameter("bias", try Tensor.zeros([outChannels], on: device)) }
            resampleFilter = buffer("resample_filter", try Filters.setupFilter(Filters.stylegan2Taps, on: device))
        }

        public func callAsFunction(_ x: Tensor, gain: Double = 1) throws -> Tensor {
            let w = try weight.value * weightGain
            let y = try conv2dResample(x, weight: w, filter: resampleFilter.value, down: down, padding: padding, flipWeight: true)
            let p = BiasActParameters(activation, gain: activation.defaultGain * gain, clamp: convClamp.map { $0 * gain })
            return try y.biasAct(bias: bias?.value, p)
        }
    }

    /// `DiscriminatorBlock`: fromrgb on the first block, conv0, conv1 with down-sampling, and
    /// (architecture `resnet`) a 1×1 down-sampling skip with both paths scaled by √0.5
    /// (architecture `orig`: no skip).
    public final class DiscriminatorBlock: Layer {
        public let resolution: Int
        public var fromrgb: Conv2dLayer?
        public var conv0: Conv2dLayer!
        public var conv1: Conv2dLayer!
        public var skip: Conv2dLayer?
        public var resampleFilter: Buffer!

        public init(_ inChannels: Int, _ tmpChannels: Int, _ outChannels: Int, resolution: Int, imgChannels: Int,
                    resnet: Bool = true, convClamp: Double?, random: inout InitRandom, device: Device) throws {
            self.resolution = resolution
            super.init(device: device)
            resampleFilter = buffer("resample_filter", try Filters.setupFilter(Filters.stylegan2Taps, on: device))
            if inChannels == 0 {
                fromrgb = child("fromrgb", try Conv2dLayer(imgChannels, tmpChannels, kernelSize: 1, activation: .lrelu,
                                                           convClamp: convClamp, random: &random, device: device))
            }
            conv0 = child("conv0", try Conv2dLayer(tmpChannels, tmpChannels, kernelSize: 3, activation: .lrelu,
                                                   convClamp: convClamp, random: &random, device: device))
            conv1 = child("conv1", try Conv2dLayer(tmpChannels, outChannels, kernelSize: 3, activation: .lrelu, down: 2,
                                                   convClamp: convClamp, random: &random, device: device))
            if resnet {
                skip = child("skip", try Conv2dLayer(tmpChannels, outChannels, kernelSize: 1, bias: false, down: 2,
                                                     convClamp: nil, random: &random, device: device))
            }
        }

        public func callAsFunction(_ x: Tensor?, _ img: Tensor) throws -> Tensor {
            var x = x
            if let fromrgb {
                let y = try fromrgb(img)
                x = try x.map { try $0 + y } ?? y
            }
            guard let skip else { return try conv1(conv0(x!)) }
            let gain = 0.5.squareRoot()
            let y = try skip(x!, gain: gain)
            let h = try conv1(conv0(x!), gain: gain)
            return try y + h
        }
    }

    /// `DiscriminatorEpilogue` at 4×4: minibatch std, 3×3 conv, fc, out.
    public final class DiscriminatorEpilogue: Layer {
        /// nil: one group of the whole batch (the official `None`); 0: no minibatch-std layer.
        public let mbstdGroupSize: Int?
        public let mbstdNumChannels: Int
        public var conv: Conv2dLayer!
        public var fc: FullyConnectedLayer!
        public var out: FullyConnectedLayer!

        public init(_ inChannels: Int, resolution: Int, mbstdGroupSize: Int?, mbstdNumChannels: Int, convClamp: Double?,
                    random: inout InitRandom, device: Device) throws {
            self.mbstdGroupSize = mbstdGroupSize
            self.mbstdNumChannels = mbstdNumChannels
            super.init(device: device)
            let extra = mbstdGroupSize != 0 ? mbstdNumChannels : 0
            conv = child("conv", try Conv2dLayer(inChannels + extra, inChannels, kernelSize: 3, activation: .lrelu,
                                                 convClamp: convClamp, random: &random, device: device))
            fc = child("fc", try FullyConnectedLayer(inChannels * resolution * resolution, inChannels, activation: .lrelu,
                                                     random: &random, device: device))
            out = child("out", try FullyConnectedLayer(inChannels, 1, random: &random, device: device))
        }

        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            var x = x
            if mbstdGroupSize != 0 { x = try x.minibatchStd(groupSize: mbstdGroupSize ?? x.shape[0], numChannels: mbstdNumChannels) }
            x = try conv(x)
            x = try fc(x.reshape([x.shape[0], -1]))
            return try out(x)
        }
    }

    /// `Discriminator` (resnet or orig): blocks from the image resolution down to 8×8, then the epilogue.
    public final class Discriminator: Layer {
        public let config: DiscriminatorConfig
        public var blocks: [DiscriminatorBlock] = []
        public var epilogue: DiscriminatorEpilogue!

        public init(_ config: DiscriminatorConfig, seed: UInt64 = 1, device: Device) throws {
            try config.validate()
            self.config = config
            super.init(device: device)
            var random = InitRandom(seed: seed)
            var resolution = config.imgResolution
            while resolution > 4 {
                let inChannels = resolution < config.imgResolution ? config.channels(at: resolution) : 0
                blocks.append(child("b\(resolution)", try DiscriminatorBlock(
                    inChannels, config.channels(at: resolution), config.channels(at: resolution / 2), resolution: resolution,
                    imgChannels: config.imgChannels, resnet: config.architecture == .resnet, convClamp: config.convClamp,
                    random: &random, device: device)))
                resolution /= 2
            }
            epilogue = child("b4", try DiscriminatorEpilogue(
                config.channels(at: 4), resolution: 4, mbstdGroupSize: config.mbstdGroupSize,
                mbstdNumChannels: config.mbstdNumChannels, convClamp: config.convClamp, random: &random, device: device))
        }

        /// Logits `[N, 1]` for images `[N, img_channels, R, R]`.
        public func callAsFunction(_ img: Tensor) throws -> Tensor {
            let expected = [config.imgChannels, config.imgResolution, config.imgResolution]
            guard img.rank == 4, Array(img.shape.dropFirst()) == expected else {
                throw TensorError.shapeMismatch(op: "Discriminator", shapes: [img.shape], reason: "is not [N, \(expected[0]), \(expected[1]), \(expected[2])]")
            }
            if config.mbstdGroupSize != 0 {
                let g = Swift.min(config.mbstdGroupSize ?? img.shape[0], img.shape[0])
                guard img.shape[0] % g == 0 else {
                    throw TensorError.invalidArgument(op: "Discriminator", reason: "batch \(img.shape[0]) is not divisible by the minibatch-std group size \(g)")
                }
            }
            var x: Tensor? = nil
            for block in blocks { x = try block(x, img) }
            return try epilogue(x!)
        }
    }
}
