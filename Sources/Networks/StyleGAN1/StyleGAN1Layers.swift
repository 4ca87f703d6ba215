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
        public var weight: Parameter!
        public var bias: Parameter!

        public init(_ inFeatures: Int, _ outFeatures: Int, gain: Double, lrmul: Double = 1, activation: Activation,
                    random: inout InitRandom, device: Device) throws {
            coefficient = gain / Double(inFeatures).squareRoot() * lrmul
            self.lrmul = lrmul
            self.activation = activation
            super.init(device: device)
            weight = parameter("weight", try random.normal([outFeatures, inFeatures], scale: 1 / lrmul, on: device))
            bias = parameter("bias", try Tensor.zeros([outFeatures], on: device))
        }

        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            let flat = x.rank == 2 ? x : try x.reshape([x.shape[0], -1])
            let y = try flat.matmul(weight.value * coefficient, transposeOther: true)
            let b = lrmul == 1 ? bias.value : try bias.value * lrmul
            return try y.biasAct(bias: b, BiasActParameters(activation, gain: 1))
        }
    }

    /// The equalized-lr convolution of `get_weight` + `conv2d`: weight `[out, in, k, k]`, runtime
    /// coefficient `gain/√(in·k²)`, "same" padding. With `up`, the fused up-sampling convolution
    /// (`upscale2d_conv2d`); with `down`, the fused down-sampling one (`conv2d_downscale2d`).
    public final class Conv: Layer {
        public enum Resample: Sendable { case none, fusedUp, fusedDown }
        public let coefficient: Double
        public let resample: Resample
        public var weight: Parameter!

        public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, gain: Double, resample: Resample = .none,
                    random: inout InitRandom, device: Device) throws {
            coefficient = gain / Double(inChannels * kernel * kernel).squareRoot()
            self.resample = resample
            super.init(device: device)
            weight = parameter("weight", try random.normal([outChannels, inChannels, kernel, kernel], on: device))
        }

        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            let w = try weight.value * coefficient
            let k = w.shape[2]
            switch resample {
            case .none:
                return try x.conv2d(w, padding: (k / 2, k / 2))
            case .fusedUp:
                // The 3×3 kernel padded to 5×5 and summed over its four 1-pixel shifts gives a 4×4
                // kernel; then a stride-2 transposed convolution with padding 1.
                // A transposed convolution is the input gradient of a convolution from the output's
                // channels to the input's: its weight is [in, out, 4, 4].
                let w4 = try Conv.shiftSum(w).permute([1, 0, 2, 3])
                let out = [x.shape[0], w.shape[0], 2 * x.shape[2], 2 * x.shape[3]]
                return try x.conv2dBackwardInput(w4, Conv2dParameters(stride: (2, 2), padding: (1, 1)), inputShape: out)
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

    /// `layer_epilogue`: noise (per-channel `Noise.weight`), bias, leaky ReLU, instance norm and
    /// the style (`StyleMod`, a dense layer from w to 2C: scale + 1 and shift).
    /// Its tensors belong to the layer's scope (`Noise.weight`, `bias`, `StyleMod.*`).
    public final class Epilogue {
        public let noiseWeight: Parameter
        public let bias: Parameter
        public let styleMod: Dense

        /// Registers its tensors on `owner`, the layer's scope.
        init(channels: Int, dlatentSize: Int, owner: Layer, random: inout InitRandom, device: Device) throws {
            let noise = Layer(device: device)
            owner.child("Noise", noise)
            noiseWeight = noise.parameter("weight", try Tensor.zeros([channels], on: device))
            bias = owner.parameter("bias", try Tensor.zeros([channels], on: device))
            styleMod = owner.child("StyleMod", try Dense(dlatentSize, 2 * channels, gain: 1, activation: .linear,
                                                         random: &random, device: device))
        }

        func callAsFunction(_ x: Tensor, _ w: Tensor, noise: Tensor?) throws -> Tensor {
            var x = x
            if let noise { x = try x.addNoise(noise, strength: noiseWeight.value) }
            x = try x.biasAct(bias: bias.value, BiasActParameters(.lrelu, gain: 1))
            let styles = try styleMod(w).reshape([x.shape[0], 2, x.shape[1]])
            return try x.adaIN(styles: styles)
        }
    }
}
