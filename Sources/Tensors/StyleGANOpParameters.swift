import Foundation

/// The activation of the fused bias + activation op (the official `bias_act`).
public enum Activation: String, Sendable, CaseIterable {
    case linear
    /// Leaky ReLU (`alpha` 0.2 by default).
    case lrelu

    /// The OpenCL expression in `v` and `alpha`.
    package var cl: String { self == .lrelu ? "(v>0.0f?v:v*alpha)" : "(v)" }
    /// The OpenCL expression of the slope in the output `y` (the activations keep the sign).
    package var slopeCL: String { self == .lrelu ? "(y>0.0f?1.0f:alpha)" : "(1.0f)" }

    /// The activation of `v` (the reference backend's side of `cl`).
    func callAsFunction(_ v: Double, alpha: Double) -> Double { self == .lrelu && !(v > 0) ? v * alpha : v }
    /// The slope at output `y` (the reference backend's side of `slopeCL`).
    func slope(output y: Double, alpha: Double) -> Double { self == .lrelu && !(y > 0) ? alpha : 1 }

    /// The official default gain: √2 for lrelu, 1 for linear.
    public var defaultGain: Double { self == .lrelu ? 2.0.squareRoot() : 1 }
}

/// Parameters of `biasAct`: `y = clamp(act(x + b) · gain, ±clamp)`.
public struct BiasActParameters: Equatable, Sendable {
    public var activation: Activation
    public var alpha: Double
    public var gain: Double
    /// nil: no clamp (the official `None`).
    public var clamp: Double?

    /// The official defaults: alpha 0.2, the activation's default gain, no clamp.
    public init(_ activation: Activation, alpha: Double = 0.2, gain: Double? = nil, clamp: Double? = nil) {
        self.activation = activation
        self.alpha = alpha
        self.gain = gain ?? activation.defaultGain
        self.clamp = clamp
    }

    /// The derivative's slope for an output value (1 or alpha, 0 where clamped), times gain.
    func slope(output y: Double) -> Double {
        if let clamp, !(Swift.abs(y) < clamp) { return 0 }
        return activation.slope(output: y, alpha: alpha) * gain
    }

    func apply(_ v: Double) -> Double {
        var out = activation(v, alpha: alpha) * gain
        if let clamp { out = Swift.min(Swift.max(out, -clamp), clamp) }
        return out
    }
}

/// Parameters of `upfirdn2d`: up-sampling by zero insertion, padding (negative crops),
/// a 2-D FIR filter applied as a true convolution and multiplied by `gain`, down-sampling.
public struct UpFirDn2dParameters: Equatable, Sendable {
    public var up: (y: Int, x: Int)
    public var down: (y: Int, x: Int)
    /// Padding before and after, in the official order: x0, x1, y0, y1.
    public var padding: (x0: Int, x1: Int, y0: Int, y1: Int)
    public var gain: Double

    public init(up: Int = 1, down: Int = 1, padding: (x0: Int, x1: Int, y0: Int, y1: Int) = (0, 0, 0, 0), gain: Double = 1) {
        self.up = (up, up)
        self.down = (down, down)
        self.padding = padding
        self.gain = gain
    }

    public static func == (l: Self, r: Self) -> Bool {
        l.up == r.up && l.down == r.down && l.padding == r.padding && l.gain == r.gain
    }

    /// The output height and width for an input of `height × width` and a `fh × fw` filter.
    public func outputSize(height: Int, width: Int, filterHeight fh: Int, filterWidth fw: Int) -> (height: Int, width: Int) {
        let h = height * up.y + padding.y0 + padding.y1 - fh
        let w = width * up.x + padding.x0 + padding.x1 - fw
        return (h < 0 ? 0 : h / down.y + 1, w < 0 ? 0 : w / down.x + 1)
    }
}

/// One Adam step's hyper-parameters; `step` counts from 1.
public struct AdamStep: Sendable {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var step: Int

    public init(learningRate: Double, beta1: Double = 0, beta2: Double = 0.99, epsilon: Double = 1e-8, step: Int) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.step = step
    }

    /// The bias corrections `1 − β1^step` and `1 − β2^step`.
    public var corrections: (Double, Double) { (1 - pow(beta1, Double(step)), 1 - pow(beta2, Double(step))) }
}
