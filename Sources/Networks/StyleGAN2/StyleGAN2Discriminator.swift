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
        public let weight: Parameter
        public let bias: Parameter?
        public let resampleFilter: Buffer

        public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, bias: Bool = true, activation: Activation = .linear,
                    down: Int = 1, convClamp: Double?, random: inout InitRandom, device: Device) throws {
            self.activation = activation
            self.down = down
            padding = kernelSize / 2
            weightGain = 1 / Double(inChannels * kernelSize * kernelSize).squareRoot()
            self.convClamp = convClamp
            weight = Parameter("weight", try random.normal([outChannels, inChannels, kernelSize, kernelSize], on: device))
            self.bias = try bias ? Parameter("bias", Tensor.zeros([outChannels], on: device)) : nil
            resampleFilter = Buffer("resample_filter", try Filters.setupFilter(Filters.stylegan2Taps, on: device))
            super.init(device: device, parameters: [weight, self.bias], buffers: [resampleFilter])
        }

        public func callAsFunction(_ x: Tensor, gain: Double = 1) throws -> Tensor {
            let w = try weight.value * weightGain
            let y = try conv2dResample(x, weight: w, filter: resampleFilter.value, down: down, padding: padding, flipWeight: true)
            let p = BiasActParameters(activation, gain: activation.defaultGain * gain, clamp: convClamp.map { $0 * gain })
            return record(try y.biasAct(bias: bias?.value, p))
        }
    }

    /// `DiscriminatorBlock`: fromrgb on the first block, conv0, conv1 with down-sampling, and
    /// (architecture `resnet`) a 1×1 down-sampling skip with both paths scaled by √0.5
    /// (architecture `orig`: no skip).
    public final class DiscriminatorBlock: Layer {
        public let inChannels: Int
        public let resolution: Int
        public let imgChannels: Int
        public let fromrgb: Conv2dLayer?
        public let conv0: Conv2dLayer
        public let conv1: Conv2dLayer
        public let skip: Conv2dLayer?
        public let resampleFilter: Buffer

        public init(_ inChannels: Int, _ tmpChannels: Int, _ outChannels: Int, resolution: Int, imgChannels: Int,
                    resnet: Bool = true, convClamp: Double?, random: inout InitRandom, device: Device) throws {
            self.inChannels = inChannels
            self.resolution = resolution
            self.imgChannels = imgChannels
            resampleFilter = Buffer("resample_filter", try Filters.setupFilter(Filters.stylegan2Taps, on: device))
            fromrgb = try inChannels == 0
                ? Conv2dLayer(imgChannels, tmpChannels, kernelSize: 1, activation: .lrelu, convClamp: convClamp,
                                  random: &random, device: device)
                : nil
            conv0 = try Conv2dLayer(tmpChannels, tmpChannels, kernelSize: 3, activation: .lrelu,
                                    convClamp: convClamp, random: &random, device: device)
            conv1 = try Conv2dLayer(tmpChannels, outChannels, kernelSize: 3, activation: .lrelu, down: 2,
                                    convClamp: convClamp, random: &random, device: device)
            skip = try resnet
                ? Conv2dLayer(tmpChannels, outChannels, kernelSize: 1, bias: false, down: 2, convClamp: nil,
                                  random: &random, device: device)
                : nil
            super.init(device: device, buffers: [resampleFilter],
                       children: [("fromrgb", fromrgb), ("conv0", conv0), ("conv1", conv1), ("skip", skip)])
        }

        /// Features at half the resolution for features `x` (nil on the first block) and the image.
        public func callAsFunction(_ x: Tensor?, _ img: Tensor) throws -> Tensor {
            if let x { try assertShape(x, [nil, inChannels, resolution, resolution], "x") }
            var x = x
            if let fromrgb {
                try assertShape(img, [nil, imgChannels, resolution, resolution], "img")
                let y = try fromrgb(img)
                x = try x.map { try $0 + y } ?? y
            }
            let input = try require(x, [nil, conv0.weight.shape[1], resolution, resolution], "x")
            guard let skip else { return record(try conv1(conv0(input))) }
            let gain = 0.5.squareRoot()
            let y = try skip(input, gain: gain)
            let h = try conv1(conv0(input), gain: gain)
            return record(try y + h)
        }
    }

    /// `DiscriminatorEpilogue` at 4×4: minibatch std, 3×3 conv, fc, out.
    public final class DiscriminatorEpilogue: Layer {
        public let inChannels: Int
        public let resolution: Int
        /// nil: one group of the whole batch (the official `None`); 0: no minibatch-std layer.
        public let mbstdGroupSize: Int?
        public let mbstdNumChannels: Int
        public let conv: Conv2dLayer
        public let fc: FullyConnectedLayer
        public let out: FullyConnectedLayer

        public init(_ inChannels: Int, resolution: Int, mbstdGroupSize: Int?, mbstdNumChannels: Int, convClamp: Double?,
                    random: inout InitRandom, device: Device) throws {
            self.inChannels = inChannels
            self.resolution = resolution
            self.mbstdGroupSize = mbstdGroupSize
            self.mbstdNumChannels = mbstdNumChannels
            let extra = mbstdGroupSize != 0 ? mbstdNumChannels : 0
            conv = try Conv2dLayer(inChannels + extra, inChannels, kernelSize: 3, activation: .lrelu,
                                   convClamp: convClamp, random: &random, device: device)
            fc = try FullyConnectedLayer(inChannels * resolution * resolution, inChannels, activation: .lrelu,
                                         random: &random, device: device)
            out = try FullyConnectedLayer(inChannels, 1, random: &random, device: device)
            super.init(device: device, children: [("conv", conv), ("fc", fc), ("out", out)])
        }

        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            try assertShape(x, [nil, inChannels, resolution, resolution], "x")
            var x = x
            if mbstdGroupSize != 0 { x = try x.minibatchStd(groupSize: mbstdGroupSize ?? x.shape[0], numChannels: mbstdNumChannels) }
            x = try conv(x)
            x = try fc(x.reshape([x.shape[0], -1]))
            return record(try out(x))
        }
    }

    /// `Discriminator` (resnet or orig): blocks from the image resolution down to 8×8, then the epilogue.
    public final class Discriminator: Layer {
        public let config: DiscriminatorConfig
        public let blocks: [DiscriminatorBlock]
        public let epilogue: DiscriminatorEpilogue

        public init(_ config: DiscriminatorConfig, seed: UInt64 = 1, device: Device) throws {
            try config.validate()
            self.config = config
            var random = InitRandom(seed: seed)
            var blocks: [DiscriminatorBlock] = []
            var resolution = config.imgResolution
            while resolution > 4 {
                let inChannels = resolution < config.imgResolution ? config.channels(at: resolution) : 0
                blocks.append(try DiscriminatorBlock(
                    inChannels, config.channels(at: resolution), config.channels(at: resolution / 2), resolution: resolution,
                    imgChannels: config.imgChannels, resnet: config.architecture == .resnet, convClamp: config.convClamp,
                    random: &random, device: device))
                resolution /= 2
            }
            self.blocks = blocks
            epilogue = try DiscriminatorEpilogue(
                config.channels(at: 4), resolution: 4, mbstdGroupSize: config.mbstdGroupSize,
                mbstdNumChannels: config.mbstdNumChannels, convClamp: config.convClamp, random: &random, device: device)
            super.init(device: device, children: blocks.map { ("b\($0.resolution)", $0) } + [("b4", epilogue)])
        }

        /// The first `count` layers in the order the official `DiscriminatorBlock`s create them
        /// (from the highest resolution: fromrgb, conv0, conv1, skip), which its `freeze_layers`
        /// (`train.py --freezed`) freezes; the epilogue is never among them.
        public func firstLayers(_ count: Int) -> [Layer] {
            let layers: [Layer] = blocks.flatMap { block in
                [block.fromrgb, block.conv0, block.conv1, block.skip].compactMap { $0 }
            }
            return Array(layers.prefix(Swift.max(0, count)))
        }

        /// Logits `[N, 1]` for images `[N, img_channels, R, R]`.
        public func callAsFunction(_ img: Tensor) throws -> Tensor {
            try assertShape(img, [nil, config.imgChannels, config.imgResolution, config.imgResolution], "img")
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
