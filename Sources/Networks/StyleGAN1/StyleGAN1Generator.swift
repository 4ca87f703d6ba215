import Foundation
import StyleGANOps
import Tensors

extension StyleGAN1 {
    /// `G_mapping`: pixel norm, then `mapping_layers` dense layers with leaky ReLU (lrmul 0.01).
    public final class Mapping: Layer {
        public var layers: [Dense] = []

        public init(_ config: GeneratorConfig, random: inout InitRandom, device: Device) throws {
            super.init(device: device)
            var inFeatures = config.latentSize
            for i in 0..<config.mappingLayers {
                let outFeatures = i == config.mappingLayers - 1 ? config.dlatentSize : config.mappingFmaps
                layers.append(child("Dense\(i)", try Dense(inFeatures, outFeatures, gain: 2.0.squareRoot(),
                                                           lrmul: config.mappingLrmul, activation: .lrelu,
                                                           random: &random, device: device)))
                inFeatures = outFeatures
            }
        }

        /// w `[N, dlatent_size]` (before the broadcast to every layer).
        public func callAsFunction(_ z: Tensor) throws -> Tensor {
            var x = try z.normalize2ndMoment()
            for layer in layers { x = try layer(x) }
            return x
        }
    }

    /// One resolution's layers of `G_synthesis`: `Const` + `Conv` at 4×4, `Conv0_up` + `Conv1` above.
    public final class SynthesisBlock: Layer {
        public let resolution: Int
        public var const: Parameter?
        public var up: Conv?
        public var conv: Conv?
        public var first: Epilogue!
        public var second: Epilogue!
        public let fusedUp: Bool
        public var blurFilter: Tensor

        init(_ config: GeneratorConfig, resolution: Int, random: inout InitRandom, device: Device) throws {
            self.resolution = resolution
            let r = resolution.trailingZeroBitCount
            let (inChannels, channels) = (config.nf(r - 2), config.nf(r - 1))
            fusedUp = try config.fused(outputResolution: resolution)
            blurFilter = try Filters.setupFilter(Filters.blurTaps, on: device)
            super.init(device: device)
            let gain = 2.0.squareRoot()
            if resolution == 4 {
                let scope = child("Const", Layer(device: device))
                const = scope.parameter("const", try Tensor.ones([1, channels, 4, 4], on: device))
                first = try Epilogue(channels: channels, dlatentSize: config.dlatentSize, owner: scope, random: &random, device: device)
                let second = child("Conv", try Conv(channels, channels, kernel: 3, gain: gain, random: &random, device: device))
                conv = second
                self.second = try Epilogue(channels: channels, dlatentSize: config.dlatentSize, owner: second, random: &random, device: device)
            } else {
                let upConv = child("Conv0_up", try Conv(inChannels, channels, kernel: 3, gain: gain,
                                                        resample: fusedUp ? .fusedUp : .none, random: &random, device: device))
                up = upConv
                first = try Epilogue(channels: channels, dlatentSize: config.dlatentSize, owner: upConv, random: &random, device: device)
                let second = child("Conv1", try Conv(channels, channels, kernel: 3, gain: gain, random: &random, device: device))
                conv = second
                self.second = try Epilogue(channels: channels, dlatentSize: config.dlatentSize, owner: second, random: &random, device: device)
            }
        }

        /// `ws` are the block's two dlatents `[N, w]`; `noises` its two noise maps (or nil for none).
        func callAsFunction(_ input: Tensor?, _ w0: Tensor, _ w1: Tensor, noises: (Tensor?, Tensor?)) throws -> Tensor {
            var x: Tensor
            if let const {
                x = try const.value.expand(to: [w0.shape[0]] + Array(const.shape.dropFirst()))
            } else {
                let upsampled = fusedUp ? try up!(input!) : try up!(input!.upscale2d())
                x = try upsampled.blur2d(filter: blurFilter)
            }
            x = try first(x, w0, noise: noises.0)
            return try second(conv!(x), w1, noise: noises.1)
        }
    }

    /// `G_synthesis` with the progressive structure: at level of detail `lod = k + α` the image is
    /// `(1 − α)·up(ToRGB at 2^(R−k)) + α·up(ToRGB at 2^(R−k−1))`, nearest-up-sampled to full resolution.
    public final class Synthesis: Layer {
        public let config: GeneratorConfig
        public var blocks: [SynthesisBlock] = []
        /// `ToRGB_lod{R−r}` for each resolution 2^r, indexed by r − 2.
        public var toRGB: [Conv] = []
        public var toRGBBias: [Parameter] = []
        /// The fixed noise inputs `noise0 …` `[1, 1, res, res]`, used by noise mode `const`.
        public var noiseInputs: [Buffer] = []

        public init(_ config: GeneratorConfig, random: inout InitRandom, device: Device) throws {
            self.config = config
            super.init(device: device)
            let top = config.resolutionLog2
            for i in 0..<config.numLayers {
                let res = 1 << (i / 2 + 2)
                noiseInputs.append(buffer("noise\(i)", try random.normal([1, 1, res, res], on: device)))
            }
            for r in 2...top {
                let res = 1 << r
                blocks.append(child("\(res)x\(res)", try SynthesisBlock(config, resolution: res, random: &random, device: device)))
                let rgb = child("ToRGB_lod\(top - r)", try Conv(config.nf(r - 1), config.numChannels, kernel: 1, gain: 1,
                                                               random: &random, device: device))
                toRGB.append(rgb)
                toRGBBias.append(rgb.parameter("bias", try Tensor.zeros([config.numChannels], on: device)))
            }
        }

        func rgb(_ index: Int, _ x: Tensor) throws -> Tensor {
            try toRGB[index](x).biasAct(bias: toRGBBias[index].value, BiasActParameters(.linear))
        }

        /// The image at full resolution for dlatents `[N, num_layers, dlatent_size]` at level of detail `lod`.
        /// `noiseAt`, when given, limits noise to the layers whose resolution it accepts.
        public func callAsFunction(_ ws: Tensor, lod: Double = 0, noiseMode: NoiseMode = .random,
                                   random: RandomStream? = nil, noiseAt: ((Int) -> Bool)? = nil) throws -> Tensor {
            let top = config.resolutionLog2
            guard ws.rank == 3, ws.shape[1] == config.numLayers else {
                throw TensorError.shapeMismatch(op: "StyleGAN1.Synthesis", shapes: [ws.shape], reason: "is not [N, \(config.numLayers), \(config.dlatentSize)]")
            }
            guard lod >= 0, lod <= Double(top - 2) else {
                throw TensorError.invalidArgument(op: "StyleGAN1.Synthesis", reason: "lod \(lod) outside 0...\(top - 2)")
            }
            let k = Int(lod.rounded(.down)), alpha = lod - Double(k)
            let active = top - k                               // log2 of the active resolution
            let n = ws.shape[0]
            func w(_ i: Int) throws -> Tensor { try ws.slice(axis: 1, i..<(i + 1)).reshape([n, ws.shape[2]]) }
            func noise(_ i: Int) throws -> Tensor? {
                if noiseAt?(1 << (i / 2 + 2)) == false { return nil }
                switch noiseMode {
                case .none: return nil
                case .const: return noiseInputs[i].value
                case .random:
                    guard let random else { throw NetworkError.randomStreamNeeded }
                    let res = 1 << (i / 2 + 2)
                    return try random.normal([n, 1, res, res], on: device)
                }
            }
            var x: Tensor? = nil
            var previous: Tensor? = nil
            for r in 2...active {
                let layer = 2 * (r - 2)
                previous = x
                x = try blocks[r - 2](x, w(layer), w(layer + 1), noises: (noise(layer), noise(layer + 1)))
            }
            var img = try rgb(active - 2, x!)
            if alpha > 0, active > 2, let previous {
                img = try img.lerp(rgb(active - 3, previous).upscale2d(), alpha)
            }
            return k == 0 ? img : try img.upscale2d(factor: 1 << k)
        }
    }

    /// `G_style`: mapping, the tracked `dlatent_avg`, truncation, and synthesis.
    public final class Generator: Layer {
        public let config: GeneratorConfig
        public var synthesis: Synthesis!
        public var mapping: Mapping!
        public var dlatentAvg: Buffer!
        /// The level of detail of progressive growing (0 is full resolution).
        public var lod: Buffer!

        public init(_ config: GeneratorConfig, seed: UInt64 = 0, device: Device) throws {
            try config.validate()
            self.config = config
            super.init(device: device)
            var random = InitRandom(seed: seed)
            lod = buffer("lod", try Tensor.zeros([], on: device))
            dlatentAvg = buffer("dlatent_avg", try Tensor.zeros([config.dlatentSize], on: device))
            synthesis = child("synthesis", try Synthesis(config, random: &random, device: device))
            mapping = child("mapping", try Mapping(config, random: &random, device: device))
        }

        public var numWs: Int { config.numLayers }

        /// Dlatents `[N, num_layers, dlatent_size]`; `updateAverage` (training) moves `dlatent_avg`
        /// toward the batch mean; `psi` ≠ 1 truncates the first `cutoff` layers toward it.
        public func ws(_ z: Tensor, psi: Double = 1, cutoff: Int? = nil, updateAverage: Bool = false) throws -> Tensor {
            let w = try mapping(z)
            if updateAverage {
                dlatentAvg.value = try GradMode.disabled { try w.mean(axes: [0]).lerp(dlatentAvg.value, config.dlatentAvgBeta) }.detached()
            }
            return try broadcastAndTruncate(w, numWs: config.numLayers, average: dlatentAvg.value, psi: psi, cutoff: cutoff)
        }

        /// Images at full resolution for latents `[N, latent_size]`.
        public func callAsFunction(_ z: Tensor, psi: Double = 1, cutoff: Int? = nil, lod: Double? = nil,
                                   noiseMode: NoiseMode = .const, random: RandomStream? = nil) throws -> Tensor {
            let level = try lod ?? Double(self.lod.value.item())
            return try synthesis(ws(z, psi: psi, cutoff: cutoff), lod: level, noiseMode: noiseMode, random: random)
        }
    }
}
