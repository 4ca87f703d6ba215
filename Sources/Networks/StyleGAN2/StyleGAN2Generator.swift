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

/// Records named intermediate tensors of a forward pass (for comparisons with the reference).
public final class ActivationTrace {
    public private(set) var tensors: [String: Tensor] = [:]
    public init() {}
    func record(_ name: String, _ t: Tensor) { tensors[name] = t }
}

extension StyleGAN2 {
    /// `FullyConnectedLayer`: equalized learning rate, weight `randn/lr_multiplier`.
    public final class FullyConnectedLayer: Layer {
        public let activation: Activation
        public let lrMultiplier: Double
        public var weight: Parameter!
        public var bias: Parameter?

        public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, activation: Activation = .linear,
                    lrMultiplier: Double = 1, biasInit: Double = 0, random: inout InitRandom, device: Device) throws {
            self.activation = activation
            self.lrMultiplier = lrMultiplier
            super.init(device: device)
            weight = parameter("weight", try random.normal([outFeatures, inFeatures], scale: 1 / lrMultiplier, on: device))
            if bias { self.bias = parameter("bias", try Tensor.full(biasInit, shape: [outFeatures], on: device)) }
        }

        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            try x.fullyConnected(weight: weight.value, bias: bias?.value, lrMultiplier: lrMultiplier, activation: activation)
        }
    }

    /// `MappingNetwork`: z → w through `num_layers` lrelu layers (lr multiplier 0.01), with the
    /// tracked average `w_avg` used for truncation.
    public final class MappingNetwork: Layer {
        public let numWs: Int
        public let wAvgBeta: Double
        public var layers: [FullyConnectedLayer] = []
        public var wAvg: Buffer!

        public init(_ config: GeneratorConfig, numWs: Int, random: inout InitRandom, device: Device) throws {
            self.numWs = numWs
            wAvgBeta = config.mapping.wAvgBeta
            super.init(device: device)
            wAvg = buffer("w_avg", try Tensor.zeros([config.wDim], on: device))
            let features = [config.zDim] + Array(repeating: config.wDim, count: config.mapping.numLayers)
            for i in 0..<config.mapping.numLayers {
                layers.append(child("fc\(i)", try FullyConnectedLayer(
                    features[i], features[i + 1], activation: .lrelu, lrMultiplier: config.mapping.lrMultiplier,
                    random: &random, device: device)))
            }
        }

        /// ws `[N, num_ws, w_dim]` for z `[N, z_dim]`. `updateWAvg` (training) moves `w_avg`
        /// toward the batch mean of w; `psi` ≠ 1 truncates toward `w_avg` (the first `cutoff` ws only).
        public func callAsFunction(_ z: Tensor, psi: Double = 1, cutoff: Int? = nil, updateWAvg: Bool = false,
                                   trace: ActivationTrace? = nil) throws -> Tensor {
            var x = try z.normalize2ndMoment()
            for (i, layer) in layers.enumerated() {
                x = try layer(x)
                trace?.record("mapping.fc\(i)", x)
            }
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
        public var affine: FullyConnectedLayer!
        public var weight: Parameter!
        public var bias: Parameter!
        public var noiseConst: Buffer!
        public var noiseStrength: Parameter!
        public var resampleFilter: Buffer!

        public init(_ inChannels: Int, _ outChannels: Int, wDim: Int, resolution: Int, up: Int = 1, convClamp: Double?,
                    random: inout InitRandom, device: Device) throws {
            self.resolution = resolution
            self.up = up
            self.convClamp = convClamp
            super.init(device: device)
            affine = child("affine", try FullyConnectedLayer(wDim, inChannels, biasInit: 1, random: &random, device: device))
            weight = parameter("weight", try random.normal([outChannels, inChannels, 3, 3], on: device))
            bias = parameter("bias", try Tensor.zeros([outChannels], on: device))
            noiseConst = buffer("noise_const", try random.normal([resolution, resolution], on: device))
            noiseStrength = parameter("noise_strength", try Tensor.zeros([], on: device))
            resampleFilter = buffer("resample_filter", try Filters.setupFilter(Filters.stylegan2Taps, on: device))
        }

        public func callAsFunction(_ x: Tensor, _ w: Tensor, noiseMode: NoiseMode, fused: Bool, random: RandomStream?,
                                   gain: Double = 1, trace: ActivationTrace? = nil, name: String = "") throws -> Tensor {
            let styles = try affine(w)
            trace?.record(name + ".affine", styles)
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
            return try y.biasAct(bias: bias.value, p)
        }
    }

    /// `ToRGBLayer`: a 1×1 modulated conv without demodulation, styles scaled by `1/√in`.
    public final class ToRGBLayer: Layer {
        public let weightGain: Double
        public let convClamp: Double?
        public var affine: FullyConnectedLayer!
        public var weight: Parameter!
        public var bias: Parameter!

        public init(_ inChannels: Int, _ outChannels: Int, wDim: Int, convClamp: Double?, random: inout InitRandom,
                    device: Device) throws {
            weightGain = 1 / Double(inChannels).squareRoot()
            self.convClamp = convClamp
            super.init(device: device)
            affine = child("affine", try FullyConnectedLayer(wDim, inChannels, biasInit: 1, random: &random, device: device))
            weight = parameter("weight", try random.normal([outChannels, inChannels, 1, 1], on: device))
            bias = parameter("bias", try Tensor.zeros([outChannels], on: device))
        }

        public func callAsFunction(_ x: Tensor, _ w: Tensor, fused: Bool, trace: ActivationTrace? = nil, name: String = "") throws -> Tensor {
            let raw = try affine(w)
            trace?.record(name + ".affine", raw)
            let styles = try raw * weightGain
            let y = try modulatedConv2d(x, weight: weight.value, styles: styles, demodulate: false, fused: fused)
            return try y.biasAct(bias: bias.value, BiasActParameters(.linear, clamp: convClamp))
        }
    }

    /// `SynthesisBlock` (skip architecture): const input or an up-sampling conv0, conv1, ToRGB,
    /// and the up-sampled image of the previous block plus this block's RGB.
    public final class SynthesisBlock: Layer {
        public let resolution: Int
        public var const: Parameter?
        public var conv0: SynthesisLayer?
        public var conv1: SynthesisLayer!
        public var torgb: ToRGBLayer!
        public var resampleFilter: Buffer!
        /// ws consumed by the convolutions (the index advances by this much).
        public var numConv: Int { conv0 == nil ? 1 : 2 }
        public let numToRGB = 1

        public init(_ inChannels: Int, _ outChannels: Int, wDim: Int, resolution: Int, imgChannels: Int, convClamp: Double?,
                    random: inout InitRandom, device: Device) throws {
            self.resolution = resolution
            super.init(device: device)
            resampleFilter = buffer("resample_filter", try Filters.setupFilter(Filters.stylegan2Taps, on: device))
            if inChannels == 0 {
                const = parameter("const", try random.normal([outChannels, resolution, resolution], on: device))
            } else {
                conv0 = child("conv0", try SynthesisLayer(inChannels, outChannels, wDim: wDim, resolution: resolution, up: 2,
                                                          convClamp: convClamp, random: &random, device: device))
            }
            conv1 = child("conv1", try SynthesisLayer(outChannels, outChannels, wDim: wDim, resolution: resolution,
                                                      convClamp: convClamp, random: &random, device: device))
            torgb = child("torgb", try ToRGBLayer(outChannels, imgChannels, wDim: wDim, convClamp: convClamp,
                                                  random: &random, device: device))
        }

        /// `ws` `[N, numConv + 1, w_dim]`: one w per conv, then the ToRGB's.
        public func callAsFunction(_ x: Tensor?, _ img: Tensor?, _ ws: Tensor, noiseMode: NoiseMode, fused: Bool,
                                   random: RandomStream?, trace: ActivationTrace? = nil) throws -> (x: Tensor, img: Tensor) {
            let n = ws.shape[0], wDim = ws.shape[2]
            func w(_ i: Int) throws -> Tensor { try ws.slice(axis: 1, i..<(i + 1)).reshape([n, wDim]) }
            let name = "synthesis.b\(resolution)"
            var x = x
            var index = 0
            if let const {
                x = try const.value.reshape([1] + const.shape).expand(to: [n] + const.shape)
            } else if let conv0, let input = x {
                x = try conv0(input, w(index), noiseMode: noiseMode, fused: fused, random: random, trace: trace, name: name + ".conv0")
                trace?.record(name + ".conv0", x!)
                index += 1
            }
            let out = try conv1(x!, w(index), noiseMode: noiseMode, fused: fused, random: random, trace: trace, name: name + ".conv1")
            trace?.record(name + ".conv1", out)
            index += 1
            let y = try torgb(out, w(index), fused: fused, trace: trace, name: name + ".torgb")
            trace?.record(name + ".torgb", y)
            let image = try img.map { try $0.upsample2d(filter: resampleFilter.value) + y } ?? y
            trace?.record(name + ".x", out)
            trace?.record(name + ".img", image)
            return (out, image)
        }
    }

    /// `SynthesisNetwork`: blocks from 4×4 to the image resolution.
    public final class SynthesisNetwork: Layer {
        public private(set) var blocks: [SynthesisBlock] = []
        /// The number of ws the network reads: `2·log2(R) − 2`.
        public private(set) var numWs = 0

        public init(_ config: GeneratorConfig, random: inout InitRandom, device: Device) throws {
            var numWs = 0
            var blocks: [SynthesisBlock] = []
            var resolution = 4
            super.init(device: device)
            while resolution <= config.imgResolution {
                let inChannels = resolution > 4 ? config.channels(at: resolution / 2) : 0
                let block = child("b\(resolution)", try SynthesisBlock(
                    inChannels, config.channels(at: resolution), wDim: config.wDim, resolution: resolution,
                    imgChannels: config.imgChannels, convClamp: config.synthesis.convClamp, random: &random, device: device))
                numWs += block.numConv
                if resolution == config.imgResolution { numWs += block.numToRGB }
                blocks.append(block)
                resolution *= 2
            }
            self.blocks = blocks
            self.numWs = numWs
        }

        /// The image `[N, img_channels, R, R]` for ws `[N, num_ws, w_dim]`. Block i reads
        /// `num_conv + num_torgb` ws starting where the previous block's convolutions stopped, so
        /// its ToRGB shares a w with the next block's conv0.
        /// `noiseAt`, when given, limits noise to the blocks whose resolution it accepts (the others get none).
        /// `fused` computes the modulated convolutions as grouped convolutions with per-sample weights
        /// (the official inference path); the default scales activations around one shared convolution
        /// (the official training path), faster here and equal up to rounding (about 1e-5).
        public func callAsFunction(_ ws: Tensor, noiseMode: NoiseMode = .const, fused: Bool = false,
                                   random: RandomStream? = nil, noiseAt: ((Int) -> Bool)? = nil,
                                   trace: ActivationTrace? = nil) throws -> Tensor {
            guard ws.rank == 3, ws.shape[1] == numWs else {
                throw TensorError.shapeMismatch(op: "SynthesisNetwork", shapes: [ws.shape], reason: "is not [N, \(numWs), w_dim]")
            }
            var x: Tensor? = nil, img: Tensor? = nil
            var index = 0
            for block in blocks {
                let blockWs = try ws.slice(axis: 1, index..<(index + block.numConv + block.numToRGB))
                let mode = noiseAt?(block.resolution) == false ? NoiseMode.none : noiseMode
                (x, img) = try block(x, img, blockWs, noiseMode: mode, fused: fused, random: random, trace: trace)
                index += block.numConv
            }
            return img!
        }
    }

    /// `Generator`: the mapping network and the synthesis network.
    public final class Generator: Layer {
        public let config: GeneratorConfig
        public var synthesis: SynthesisNetwork!
        public var mapping: MappingNetwork!

        /// Builds a generator with weights drawn from `seed` (as the official initialisation, not the same numbers).
        public init(_ config: GeneratorConfig, seed: UInt64 = 0, device: Device) throws {
            try config.validate()
            self.config = config
            super.init(device: device)
            var random = InitRandom(seed: seed)
            synthesis = child("synthesis", try SynthesisNetwork(config, random: &random, device: device))
            mapping = child("mapping", try MappingNetwork(config, numWs: synthesis.numWs, random: &random, device: device))
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
