import Foundation
import StyleGANOps
import Tensors

extension StyleGAN1 {
    /// `G_mapping`: pixel norm, then `mapping_layers` dense layers with leaky ReLU (lrmul 0.01).
    public final class Mapping: Layer {
        public let latentSize: Int
        public let layers: [Dense]

        public init(_ config: GeneratorConfig, random: inout InitRandom, device: Device) throws {
            latentSize = config.latentSize
            var layers: [Dense] = []
            var inFeatures = config.latentSize
            for i in 0..<config.mappingLayers {
                let outFeatures = i == config.mappingLayers - 1 ? config.dlatentSize : config.mappingFmaps
                layers.append(try Dense(inFeatures, outFeatures, gain: 2.0.squareRoot(), lrmul: config.mappingLrmul,
                                        activation: .lrelu, random: &random, device: device))
                inFeatures = outFeatures
            }
            self.layers = layers
            super.init(device: device, children: layers.enumerated().map { ("Dense\($0)", $1) })
        }

        /// w `[N, dlatent_size]` (before the broadcast to every layer) for latents `[N, latent_size]`.
        public func callAsFunction(_ z: Tensor) throws -> Tensor {
            try assertShape(z, [nil, latentSize], "latents")
            var x = try z.normalize2ndMoment()
            for layer in layers { x = try layer(x) }
            return x
        }
    }

    /// One resolution's layers of `G_synthesis`: `Const` + `Conv` at 4×4, `Conv0_up` + `Conv1` above.
    public final class SynthesisBlock: Layer {
        public let resolution: Int
        /// The channels of the previous block's output (0 at 4×4).
        public let inChannels: Int
        /// `Const` (4×4) or `Conv0_up`.
        public let first: SynthesisLayer
        /// `Conv` (4×4) or `Conv1`.
        public let second: SynthesisLayer
        public let fusedUp: Bool

        init(_ config: GeneratorConfig, resolution: Int, random: inout InitRandom, device: Device) throws {
            self.resolution = resolution
            let r = resolution.trailingZeroBitCount
            let channels = config.nf(r - 1)
            inChannels = resolution == 4 ? 0 : config.nf(r - 2)
            fusedUp = try config.fused(outputResolution: resolution)
            let input: SynthesisLayer.Input = resolution == 4 ? .const : .upConv(inChannels: inChannels, fused: fusedUp)
            first = try SynthesisLayer(channels: channels, dlatentSize: config.dlatentSize, input: input, random: &random, device: device)
            second = try SynthesisLayer(channels: channels, dlatentSize: config.dlatentSize, input: .conv(inChannels: channels),
                                        random: &random, device: device)
            super.init(device: device, children: resolution == 4 ? [("Const", first), ("Conv", second)]
                                                                 : [("Conv0_up", first), ("Conv1", second)])
        }

        /// The block's output for the previous block's (nil at 4×4), its two dlatents `[N, w]` and
        /// its two noise maps (nil for none).
        func callAsFunction(_ input: Tensor?, _ w0: Tensor, _ w1: Tensor, noises: (Tensor?, Tensor?)) throws -> Tensor {
            let half = resolution / 2
            let x = resolution == 4 ? nil : try require(input, [nil, inChannels, half, half], "x")
            return record(try second(first(x, w0, noise: noises.0), w1, noise: noises.1))
        }
    }

    /// `G_synthesis` with the progressive structure: at level of detail `lod = k + α` the image is
    /// `(1 − α)·up(ToRGB at 2^(R−k)) + α·up(ToRGB at 2^(R−k−1))`, nearest-up-sampled to full resolution.
    public final class Synthesis: Layer {
        public let config: GeneratorConfig
        public let blocks: [SynthesisBlock]
        /// `ToRGB_lod{R−r}` (with its bias) for each resolution 2^r, indexed by r − 2.
        public let toRGB: [Conv]
        /// The fixed noise inputs `noise0 …` `[1, 1, res, res]`, used by noise mode `const`.
        public let noiseInputs: [Buffer]

        public init(_ config: GeneratorConfig, random: inout InitRandom, device: Device) throws {
            self.config = config
            let top = config.resolutionLog2
            noiseInputs = try (0..<config.numLayers).map { i in
                let res = 1 << (i / 2 + 2)
                return Buffer("noise\(i)", try random.normal([1, 1, res, res], on: device))
            }
            var blocks: [SynthesisBlock] = [], toRGB: [Conv] = []
            var children: [(String, Layer?)] = []
            for r in 2...top {
                let res = 1 << r
                let block = try SynthesisBlock(config, resolution: res, random: &random, device: device)
                let rgb = try Conv(config.nf(r - 1), config.numChannels, kernel: 1, gain: 1, bias: true, activation: .linear,
                                   random: &random, device: device)
                blocks.append(block)
                toRGB.append(rgb)
                children += [("\(res)x\(res)", block), ("ToRGB_lod\(top - r)", rgb)]
            }
            self.blocks = blocks
            self.toRGB = toRGB
            super.init(device: device, buffers: noiseInputs, children: children)
        }

        func rgb(_ index: Int, _ x: Tensor) throws -> Tensor { try toRGB[index](x) }

        /// The image at full resolution for dlatents `[N, num_layers, dlatent_size]` at level of detail `lod`.
        /// `noiseAt`, when given, limits noise to the layers whose resolution it accepts.
        public func callAsFunction(_ ws: Tensor, lod: Double = 0, noiseMode: NoiseMode = .random,
                                   random: RandomStream? = nil, noiseAt: ((Int) -> Bool)? = nil) throws -> Tensor {
            let top = config.resolutionLog2
            try assertShape(ws, [nil, config.numLayers, config.dlatentSize], "dlatents")
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
        public let synthesis: Synthesis
        public let mapping: Mapping
        public let dlatentAvg: Buffer
        /// The level of detail of progressive growing (0 is full resolution).
        public let lod: Buffer

        public init(_ config: GeneratorConfig, seed: UInt64 = 0, device: Device) throws {
            try config.validate()
            self.config = config
            var random = InitRandom(seed: seed)
            lod = Buffer("lod", try Tensor.zeros([], on: device))
            dlatentAvg = Buffer("dlatent_avg", try Tensor.zeros([config.dlatentSize], on: device))
            synthesis = try Synthesis(config, random: &random, device: device)
            mapping = try Mapping(config, random: &random, device: device)
            super.init(device: device, buffers: [lod, dlatentAvg], children: [("synthesis", synthesis), ("mapping", mapping)])
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
