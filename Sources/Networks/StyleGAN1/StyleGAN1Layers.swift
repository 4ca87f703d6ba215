import Foundation
import StyleGANOps
import Tensors

extension StyleGAN1 {
    /// `dense` + `apply_bias` with the equalized learning rate of `get_weight`: the stored weight
    /// `[out, in]` is N(0, 1/lrmul²) and is used times `gain/√in · lrmul`; the bias times lrmul.
    /// The leaky ReLU of v1 has no output gain (√2 only enters the weight's runtime coefficient).
    public final class Dense: Layer {
        public let coefficient: Double
        public let lrmul: Double
        public let activation: Activation
        public let weight: Parameter
        public let bias: Parameter

        public init(_ inFeatures: Int, _ outFeatures: Int, gain: Double, lrmul: Double = 1, activation: Activation,
                    random: inout InitRandom, device: Device) throws {
            coefficient = gain / Double(inFeatures).squareRoot() * lrmul
            self.lrmul = lrmul
            self.activation = activation
            weight = Parameter("weight", try random.normal([outFeatures, inFeatures], scale: 1 / lrmul, on: device))
            bias = Parameter("bias", try Tensor.zeros([outFeatures], on: device))
            super.init(device: device, parameters: [weight, bias])
        }

        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            let flat = x.rank == 2 ? x : try x.reshape([x.shape[0], -1])
            let y = try flat.matmul(weight.value * coefficient, transposeOther: true)
            let b = lrmul == 1 ? bias.value : try bias.value * lrmul
            return record(try y.biasAct(bias: b, BiasActParameters(activation, gain: 1)))
        }
    }

    /// The equalized-lr convolution of `get_weight` + `conv2d`: weight `[out, in, k, k]`, runtime
    /// coefficient `gain/√(in·k²)`, "same" padding, optionally resampling (`resample`); with `bias`,
    /// `apply_bias` and the activation (without output gain) follow, as in `FromRGB`, `ToRGB` and
    /// the discriminator's convolutions.
    public final class Conv: Layer {
        public enum Resample: Sendable {
            case none
            /// Nearest 2× up-sampling (`upscale2d`), then the convolution.
            case up
            /// The fused up-sampling convolution (`upscale2d_conv2d`).
            case fusedUp
            /// The convolution, then a 2×2 average (`downscale2d`).
            case down
            /// The fused down-sampling convolution (`conv2d_downscale2d`).
            case fusedDown
        }
        public let coefficient: Double
        public let resample: Resample
        public let activation: Activation
        public let weight: Parameter
        public let bias: Parameter?

        public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, gain: Double, resample: Resample = .none,
                    bias: Bool = false, activation: Activation = .linear, random: inout InitRandom, device: Device) throws {
            coefficient = gain / Double(inChannels * kernel * kernel).squareRoot()
            self.resample = resample
            self.activation = activation
            weight = Parameter("weight", try random.normal([outChannels, inChannels, kernel, kernel], on: device))
            self.bias = try bias ? Parameter("bias", Tensor.zeros([outChannels], on: device)) : nil
            super.init(device: device, parameters: [weight, self.bias])
        }

        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            let y = try Conv.convolve(x, weight: weight.value * coefficient, resample: resample)
            guard let bias else { return record(y) }
            return record(try y.biasAct(bias: bias.value, BiasActParameters(activation, gain: 1)))
        }

        /// `x` convolved with `w` (the weight times its coefficient), resampled by `resample`.
        static func convolve(_ x: Tensor, weight w: Tensor, resample: Resample) throws -> Tensor {
            let k = w.shape[2]
            switch resample {
            case .none:
                return try x.conv2d(w, padding: (k / 2, k / 2))
            case .up:
                return try x.upscale2d().conv2d(w, padding: (k / 2, k / 2))
            case .fusedUp:
                // The 3×3 kernel padded to 5×5 and summed over its four 1-pixel shifts gives a 4×4
                // kernel; then a stride-2 transposed convolution with padding 1.
                // A transposed convolution is the input gradient of a convolution from the output's
                // channels to the input's: its weight is [in, out, 4, 4].
                let w4 = try Conv.shiftSum(w).permute([1, 0, 2, 3])
                let out = [x.shape[0], w.shape[0], 2 * x.shape[2], 2 * x.shape[3]]
                return try x.conv2dBackwardInput(w4, Conv2dParameters(stride: (2, 2), padding: (1, 1)), inputShape: out)
            case .down:
                return try x.conv2d(w, padding: (k / 2, k / 2)).downscale2d()
            case .fusedDown:
                let w4 = try Conv.shiftSum(w) * 0.25
                return try x.conv2d(w4, stride: (2, 2), padding: (1, 1))
            }
        }

        /// `w4[a, b] = w[a, b] + w[a−1, b] + w[a, b−1] + w[a−1, b−1]` (zero outside) for `w` `[O, I, 3, 3]`.
        static func shiftSum(_ w: Tensor) throws -> Tensor {
            let (o, i) = (w.shape[0], w.shape[1])
            let zerosRow = try Tensor.zeros([o, i, 1, 3], dtype: w.dtype, on: w.device)
            let tall = try Tensor.concat([zerosRow, w, zerosRow], axis: 2)             // [O, I, 5, 3]
            let zerosColumn = try Tensor.zeros([o, i, 5, 1], dtype: w.dtype, on: w.device)
            let padded = try Tensor.concat([zerosColumn, tall, zerosColumn], axis: 3)   // [O, I, 5, 5]
            func shifted(_ dy: Int, _ dx: Int) throws -> Tensor {
                try padded.slice(axis: 2, dy..<(dy + 4)).slice(axis: 3, dx..<(dx + 4))
            }
            return try shifted(1, 1) + shifted(0, 1) + shifted(1, 0) + shifted(0, 0)
        }
    }

    /// The `Noise` scope of a synthesis layer: the per-channel strength `weight` of its noise.
    public final class Noise: Layer {
        public let weight: Parameter

        public init(channels: Int, device: Device) throws {
            weight = Parameter("weight", try Tensor.zeros([channels], on: device))
            super.init(device: device, parameters: [weight])
        }
    }

    /// One layer of `G_synthesis` in its scope (`Const`, `Conv`, `Conv0_up` or `Conv1`): the learned
    /// constant or a convolution (`Conv0_up`: up-sampling, then blur), then `layer_epilogue`: noise
    /// (per-channel `Noise.weight`), bias, leaky ReLU, instance norm and the style (`StyleMod`, a
    /// dense layer from w to 2C: scale + 1 and shift).
    public final class SynthesisLayer: Layer {
        /// What the layer starts from.
        public enum Input: Sendable {
            /// The learned constant `const` `[1, C, 4, 4]`.
            case const
            /// A 3×3 convolution of the previous layer.
            case conv(inChannels: Int)
            /// An up-sampling 3×3 convolution (fused or not), then blur.
            case upConv(inChannels: Int, fused: Bool)
        }
        /// `const` (`Input.const`).
        public let const: Parameter?
        /// The convolution's weight `[C, in, 3, 3]` (the other inputs).
        public let weight: Parameter?
        public let coefficient: Double
        public let resample: Conv.Resample
        public let bias: Parameter
        public let noise: Noise
        public let styleMod: Dense
        let blurFilter: Tensor?

        public init(channels: Int, dlatentSize: Int, input: Input, random: inout InitRandom, device: Device) throws {
            let inChannels: Int
            switch input {
            case .const:
                inChannels = 0
                const = Parameter("const", try Tensor.ones([1, channels, 4, 4], on: device))
                weight = nil
                resample = .none
                blurFilter = nil
            case .conv(let c):
                inChannels = c
                const = nil
                weight = Parameter("weight", try random.normal([channels, c, 3, 3], on: device))
                resample = .none
                blurFilter = nil
            case .upConv(let c, let fused):
                inChannels = c
                const = nil
                weight = Parameter("weight", try random.normal([channels, c, 3, 3], on: device))
                resample = fused ? .fusedUp : .up
                blurFilter = try Filters.setupFilter(Filters.blurTaps, on: device)
            }
            coefficient = 2.0.squareRoot() / Double(Swift.max(inChannels, 1) * 9).squareRoot()
            noise = try Noise(channels: channels, device: device)
            bias = Parameter("bias", try Tensor.zeros([channels], on: device))
            styleMod = try Dense(dlatentSize, 2 * channels, gain: 1, activation: .linear, random: &random, device: device)
            super.init(device: device, parameters: [const ?? weight, bias], children: [("Noise", noise), ("StyleMod", styleMod)])
        }

        /// The layer's output for its input `x` (nil for `const`), its dlatent `w` `[N, w]` and its
        /// noise map (nil for none).
        public func callAsFunction(_ x: Tensor?, _ w: Tensor, noise noiseMap: Tensor?) throws -> Tensor {
            var y: Tensor
            if let const {
                y = try const.value.expand(to: [w.shape[0]] + Array(const.shape.dropFirst()))
            } else {
                let x = try require(x, [nil, weight!.shape[1], nil, nil], "x")
                y = try Conv.convolve(x, weight: weight!.value * coefficient, resample: resample)
                if let blurFilter { y = try y.blur2d(filter: blurFilter) }
            }
            if let noiseMap { y = try y.addNoise(noiseMap, strength: noise.weight.value) }
            y = try y.biasAct(bias: bias.value, BiasActParameters(.lrelu, gain: 1))
            let styles = try styleMod(w).reshape([y.shape[0], 2, y.shape[1]])
            return record(try y.adaIN(styles: styles))
        }
    }
}
