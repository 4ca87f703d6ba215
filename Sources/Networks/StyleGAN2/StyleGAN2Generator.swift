import Foundation
import StyleGANOps
import Tensors

/// How synthesis layers get their per-pixel noise.
public enum NoiseMode: String, CaseIterable, Sendable {
    /// Fresh normal noise each call (training).
    case random
    /// The layer's fixed `noise_const` buffer (deterministic rendering).
    case const
    /// No noise.
    case none
}

extension StyleGAN2 {
    /// `FullyConnectedLayer`: equalized learning rate, weight `randn/lr_multiplier`.
    public final class FullyConnectedLayer: Layer {
        public let activation: Activation
        public let lrMultiplier: Double
        public let weight: Parameter
        public let bias: Parameter?

        public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, activation: Activation = .linear,
                    lrMultiplier: Double = 1, biasInit: Double = 0, random: inout InitRandom, device: Device) throws {
            self.activation = activation
            self.lrMultiplier = lrMultiplier
            weight = Parameter("weight", try random.normal([outFeatures, inFeatures], scale: 1 / lrMultiplier, on: device))
            self.bias = try bias ? Parameter("bias", Tensor.full(biasInit, shape: [outFeatures], on: device)) : nil
            super.init(device: device, parameters: [weight, self.bias])
        }

        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            record(try x.fullyConnected(weight: weight.value, bias: bias?.value, lrMultiplier: lrMultiplier, activation: activation))
        }
    }

    /// `MappingNetwork`: z → w through `num_layers` lrelu layers (lr multiplier 0.01), with the
    /// tracked average `w_avg` used for truncation.
    public final class MappingNetwork: Layer {
        public let zDim: Int
        public let numWs: Int
        public let wAvgBeta: Double
        public let layers: [FullyConnectedLayer]
        public let wAvg: Buffer

        public init(_ config: GeneratorConfig, numWs: Int, random: inout InitRandom, device: Device) throws {
            zDim = config.zDim
            self.numWs = numWs
            wAvgBeta = config.mapping.wAvgBeta
            wAvg = Buffer("w_avg", try Tensor.zeros([config.wDim], on: device))
            let features = [config.zDim] + Array(repeating: config.wDim, count: config.mapping.numLayers)
            var layers: [FullyConnectedLayer] = []
            for i in 0..<config.mapping.numLayers {
                layers.append(try FullyConnectedLayer(features[i], features[i + 1], activation: .lrelu,
                                                      lrMultiplier: config.mapping.lrMultiplier, random: &random, device: device))
            }
            self.layers = layers
            super.init(device: device, buffers: [wAvg], children: layers.enumerated().map { ("fc\($0)", $1) })
        }

        /// ws `[N, num_ws, w_dim]` for z `[N, z_dim]`. `updateWAvg` (training) moves `w_avg`
        /// toward the batch mean of w; `psi` ≠ 1 truncates toward `w_avg` (the first `cutoff` ws only).
        public func callAsFunction(_ z: Tensor, psi: Double = 1, cutoff: Int? = nil, updateWAvg: Bool = false) throws -> Tensor {
            try assertShape(z, [nil, zDim], "z")
            var x = try z.normalize2ndMoment()
            for layer in layers { x = try layer(x) }
            if updateWAvg {
                wAvg.value = try GradMode.disabled { try x.mean(axes: [0]).lerp(wAvg.value, wAvgBeta) }.detached()
            }
            return try broadcastAndTruncate(x, numWs: numWs, average: wAvg.value, psi: psi, cutoff: cutoff)
        }
    }

    /// `SynthesisLayer`: modulated 3×3 conv (up-sampling when `up` is 2), noise, bias, lrelu.
    public final class SynthesisLayer: Layer {
        public let resolution: Int
        public let up: Int
        public let convClamp: Double?
        public let affine: FullyConnectedLayer
        public let weight: Parameter
        public let bias: Parameter
        public let noiseConst: Buffer
        public let noiseStrength: Parameter
        public let resampleFilter: Buffer

        public init(_ inChannels: Int, _ outChannels: Int, wDim: Int, resolution: Int, up: Int = 1, convClamp: Double?,
                    random: inout InitRandom, device: Device) throws {
            self.resolution = resolution
            self.up = up
            self.convClamp = convClamp
            affine = try FullyConnectedLayer(wDim, inChannels, biasInit: 1, random: &random, device: device)
            weight = Parameter("weight", try random.normal([outChannels, inChannels, 3, 3], on: device))
            bias = Parameter("bias", try Tensor.zeros([outChannels], on: device))
            noiseConst = Buffer("noise_const", try random.normal([resolution, resolution], on: device))
            noiseStrength = Parameter("noise_strength", try Tensor.zeros([], on: device))
            resampleFilter = Buffer("resample_filter", try Filters.setupFilter(Filters.stylegan2Taps, on: device))
            super.init(device: device, parameters: [weight, bias, noiseStrength], buffers: [noiseConst, resampleFilter],
                       children: [("affine", affine)])
        }

        public func callAsFunction(_ x: Tensor, _ w: Tensor, noiseMode: NoiseMode, fused: Bool, random: RandomStream?,
                                   gain: Double = 1) throws -> Tensor {
            let inResolution = resolution / up
            try assertShape(x, [nil, weight.shape[1], inResolution, inResolution], "x")
            let styles = try affine(w)
            var noise: Tensor? = nil
            switch noiseMode {
            case .random:
                guard let random else { throw NetworkError.randomStreamNeeded }
                noise = try random.normal([x.shape[0], 1, resolution, resolution], on: device) * noiseStrength.value
            case .const:
                noise = try noiseConst.value * noiseStrength.value
            case .none:
                break
            }
            let y = try modulatedConv2d(x, weight: weight.value, styles: styles, noise: noise, up: up, padding: 1,
                                        filter: resampleFilter.value, flipWeight: up == 1, fused: fused)
            let p = BiasActParameters(.lrelu, gain: Activation.lrelu.defaultGain * gain, clamp: convClamp.map { $0 * gain })
            return record(try y.biasAct(bias: bias.value, p))
        }
    }

    /// `ToRGBLayer`: a 1×1 modulated conv without demodulation, styles scaled by `1/√in`.
    public final class ToRGBLayer: Layer {
        public let weightGain: Double
        public let convClamp: Double?
        public let affine: FullyConnectedLayer
        public let weight: Parameter
        public let bias: Parameter

        public init(_ inChannels: Int, _ outChannels: Int, wDim: Int, convClamp: Double?, random: inout InitRandom,
                    device: Device) throws {
            weightGain = 1 / Double(inChannels).squareRoot()
            self.convClamp = convClamp
            affine = try FullyConnectedLayer(wDim, inChannels, biasInit: 1, random: &random, device: device)
            weight = Parameter("weight", try random.normal([outChannels, inChannels, 1, 1], on: device))
            bias = Parameter("bias", try Tensor.zeros([outChannels], on: device))
            super.init(device: device, parameters: [weight, bias], children: [("affine", affine)])
        }

        public func callAsFunction(_ x: Tensor, _ w: Tensor, fused: Bool) throws -> Tensor {
            try assertShape(x, [nil, weight.shape[1], nil, nil], "x")
            let styles = try affine(w) * weightGain
            let y = try modulatedConv2d(x, weight: weight.value, styles: styles, demodulate: false, fused: fused)
            return record(try y.biasAct(bias: bias.value, BiasActParameters(.linear, clamp: convClamp)))
        }
    }

    /// `SynthesisBlock` (skip architecture): const input or an up-sampling conv0, conv1, ToRGB,
    /// and the up-sampled image of the previous block plus this block's RGB.
    public final class SynthesisBlock: Layer {
        public let inChannels: Int
        public let wDim: Int
        public let resolution: Int
        public let imgChannels: Int
        public let const: Parameter?
        public let conv0: SynthesisLayer?
        public let conv1: SynthesisLayer
        public let torgb: ToRGBLayer
        public let resampleFilter: Buffer
        /// ws consumed by the convolutions (the index advances by this much).
        public var numConv: Int { conv0 == nil ? 1 : 2 }
        public let numToRGB = 1

        public init(_ inChannels: Int, _ outChannels: Int, wDim: Int, resolution: Int, imgChannels: Int, convClamp: Double?,
                    random: inout InitRandom, device: Device) throws {
            self.inChannels = inChannels
            self.wDim = wDim
            self.resolution = resolution
            self.imgChannels = imgChannels
            resampleFilter = Buffer("resample_filter", try Filters.setupFilter(Filters.stylegan2Taps, on: device))
            if inChannels == 0 {
                const = Parameter("const", try random.normal([outChannels, resolution, resolution], on: device))
                conv0 = nil
            } else {
                const = nil
                conv0 = try SynthesisLayer(inChannels, outChannels, wDim: wDim, resolution: resolution, up: 2,
                                           convClamp: convClamp, random: &random, device: device)
            }
            conv1 = try SynthesisLayer(outChannels, outChannels, wDim: wDim, resolution: resolution,
                                       convClamp: convClamp, random: &random, device: device)
            torgb = try ToRGBLayer(outChannels, imgChannels, wDim: wDim, convClamp: convClamp, random: &random, device: device)
            super.init(device: device, parameters: [const], buffers: [resampleFilter],
                       children: [("conv0", conv0), ("conv1", conv1), ("torgb", torgb)])
        }

        /// `ws` `[N, numConv + 1, w_dim]`: one w per conv, then the ToRGB's.
        public func callAsFunction(_ x: Tensor?, _ img: Tensor?, _ ws: Tensor, noiseMode: NoiseMode, fused: Bool,
                                   random: RandomStream?) throws -> (x: Tensor, img: Tensor) {
            try assertShape(ws, [nil, numConv + numToRGB, wDim], "ws")
            let half = resolution / 2
            if conv0 != nil { _ = try require(x, [nil, inChannels, half, half], "x") }
            if let img { try assertShape(img, [nil, imgChannels, half, half], "img") }
            let n = ws.shape[0]
            func w(_ i: Int) throws -> Tensor { try ws.slice(axis: 1, i..<(i + 1)).reshape([n, wDim]) }
            var x = x
            var index = 0
            if let const {
                x = try const.value.reshape([1] + const.shape).expand(to: [n] + const.shape)
            } else if let conv0 {
                x = try conv0(x!, w(index), noiseMode: noiseMode, fused: fused, random: random)
                index += 1
            }
            let out = try conv1(x!, w(index), noiseMode: noiseMode, fused: fused, random: random)
            index += 1
            let y = try torgb(out, w(index), fused: fused)
            let image = try img.map { try $0.upsample2d(filter: resampleFilter.value) + y } ?? y
            return (record("x", out), record("img", image))
        }
    }

    /// `SynthesisNetwork`: blocks from 4×4 to the image resolution.
    public final class SynthesisNetwork: Layer {
        public let wDim: Int
        public let blocks: [SynthesisBlock]
        /// The number of ws the network reads: `2·log2(R) − 2`.
        public let numWs: Int

        public init(_ config: GeneratorConfig, random: inout InitRandom, device: Device) throws {
            var numWs = 0
            var blocks: [SynthesisBlock] = []
            var resolution = 4
            while resolution <= config.imgResolution {
                let inChannels = resolution > 4 ? config.channels(at: resolution / 2) : 0
                let block = try SynthesisBlock(
                    inChannels, config.channels(at: resolution), wDim: config.wDim, resolution: resolution,
                    imgChannels: config.imgChannels, convClamp: config.synthesis.convClamp, random: &random, device: device)
                numWs += block.numConv
                if resolution == config.imgResolution { numWs += block.numToRGB }
                blocks.append(block)
                resolution *= 2
            }
            wDim = config.wDim
            self.blocks = blocks
            self.numWs = numWs
            super.init(device: device, children: blocks.map { ("b\($0.resolution)", $0) })
        }

        /// The image `[N, img_channels, R, R]` for ws `[N, num_ws, w_dim]`. Block i reads
        /// `num_conv + num_torgb` ws starting where the previous block's convolutions stopped, so
        /// its ToRGB shares a w with the next block's conv0.
        /// `noiseAt`, when given, limits noise to the blocks whose resolution it accepts (the others get none).
        /// `fused` computes the modulated convolutions as grouped convolutions with per-sample weights
        /// (the official inference path); the default scales activations around one shared convolution
        /// (the official training path), faster here and equal up to rounding (about 1e-5).
        public func callAsFunction(_ ws: Tensor, noiseMode: NoiseMode = .const, fused: Bool = false,
                                   random: RandomStream? = nil, noiseAt: ((Int) -> Bool)? = nil) throws -> Tensor {
            try assertShape(ws, [nil, numWs, wDim], "ws")
            var x: Tensor? = nil, img: Tensor? = nil
            var index = 0
            for block in blocks {
                let blockWs = try ws.slice(axis: 1, index..<(index + block.numConv + block.numToRGB))
                let mode = noiseAt?(block.resolution) == false ? NoiseMode.none : noiseMode
                (x, img) = try block(x, img, blockWs, noiseMode: mode, fused: fused, random: random)
                index += block.numConv
            }
            return img!
        }
    }

    /// `Generator`: the mapping network and the synthesis network.
    public final class Generator: Layer {
        public let config: GeneratorConfig
        public let synthesis: SynthesisNetwork
        public let mapping: MappingNetwork

        /// Builds a generator with weights drawn from `seed` (as the official initialisation, not the same numbers).
        public init(_ config: GeneratorConfig, seed: UInt64 = 0, device: Device) throws {
            try config.validate()
            self.config = config
            var random = InitRandom(seed: seed)
            synthesis = try SynthesisNetwork(config, random: &random, device: device)
            mapping = try MappingNetwork(config, numWs: synthesis.numWs, random: &random, device: device)
            super.init(device: device, children: [("synthesis", synthesis), ("mapping", mapping)])
        }

        public var numWs: Int { synthesis.numWs }

        /// Images for latents z `[N, z_dim]`.
        public func callAsFunction(_ z: Tensor, psi: Double = 1, cutoff: Int? = nil, noiseMode: NoiseMode = .const,
                                   fused: Bool = false, random: RandomStream? = nil, updateWAvg: Bool = false) throws -> Tensor {
            let ws = try mapping(z, psi: psi, cutoff: cutoff, updateWAvg: updateWAvg)
            return try synthesis(ws, noiseMode: noiseMode, fused: fused, random: random)
        }
    }
}
