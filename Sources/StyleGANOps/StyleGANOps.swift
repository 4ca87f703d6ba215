import Foundation
import Tensors

// The official StyleGAN2 building blocks (training/networks.py of stylegan2-ada-pytorch, and
// StyleGAN v1's AdaIN), composed from differentiable tensor ops: their gradients, and the
// gradients of those, come from the primitives.

extension Tensor {
    /// `normalize_2nd_moment`: `x · rsqrt(mean(x², dim) + eps)`.
    public func normalize2ndMoment(dim: Int = 1, eps: Double = 1e-8) throws -> Tensor {
        try self * (square().mean(axes: [dim], keepDims: true) + eps).rsqrt()
    }

    /// The equalized-learning-rate fully connected layer (`FullyConnectedLayer.forward`):
    /// `W = weight · lrMultiplier/√in`, `b = bias · lrMultiplier`, then `x·Wᵀ + b`, through
    /// `biasAct` with the activation's default gain unless linear.
    public func fullyConnected(weight: Tensor, bias: Tensor?, lrMultiplier: Double = 1,
                               activation: Activation = .linear) throws -> Tensor {
        guard rank == 2, weight.rank == 2, weight.shape[1] == shape[1] else {
            throw TensorError.shapeMismatch(op: "fullyConnected", shapes: [shape, weight.shape], reason: "need x [N, in] and weight [out, in]")
        }
        let weightGain = lrMultiplier / Double(shape[1]).squareRoot()
        let w = try weight * weightGain
        let b = try bias.map { lrMultiplier == 1 ? $0 : try $0 * lrMultiplier }
        let y = try matmul(w, transposeOther: true)
        if activation == .linear, let b { return try y + b.reshape([1, -1]) }
        return try y.biasAct(bias: b, BiasActParameters(activation))
    }

    /// AdaIN for StyleGAN (v1): instance normalisation over H and W (eps 1e-8), then
    /// `x · (ys + 1) + yb` with the styles `[N, 2, C]` from the learned affine of w.
    public func adaIN(styles: Tensor, eps: Double = 1e-8) throws -> Tensor {
        guard rank == 4, styles.shape == [shape[0], 2, shape[1]] else {
            throw TensorError.shapeMismatch(op: "adaIN", shapes: [shape, styles.shape], reason: "need x [N, C, H, W] and styles [N, 2, C]")
        }
        let centered = try self - mean(axes: [2, 3], keepDims: true)
        let normalized = try centered * (centered.square().mean(axes: [2, 3], keepDims: true) + eps).rsqrt()
        let scale = try styles.slice(axis: 1, 0..<1).reshape([shape[0], shape[1], 1, 1]) + 1.0
        let shift = try styles.slice(axis: 1, 1..<2).reshape([shape[0], shape[1], 1, 1])
        return try normalized * scale + shift
    }

    /// The official `MinibatchStdLayer`: the standard deviation over groups of `groupSize` samples
    /// (the members of group m are samples m, m + N/G, m + 2N/G, ...), averaged over channels
    /// within each of `numChannels` slices and over pixels, appended as `numChannels` channels.
    public func minibatchStd(groupSize: Int, numChannels: Int = 1) throws -> Tensor {
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let g = Swift.min(groupSize, n)
        let f = numChannels
        guard rank == 4, g >= 1, n % g == 0, f >= 1, c % f == 0 else {
            throw TensorError.invalidArgument(op: "minibatchStd", reason: "batch \(shape) with group size \(groupSize) and \(numChannels) channel(s): N must divide into groups, C into channels")
        }
        var y = try reshape([g, n / g, f, c / f, h, w])
        y = try y - y.mean(axes: [0], keepDims: true)
        y = try y.square().mean(axes: [0])                       // [n/G, F, c, H, W]
        y = try (y + 1e-8).sqrt()
        y = try y.mean(axes: [2, 3, 4])                          // [n/G, F]
        y = try y.reshape([1, n / g, f, 1, 1]).expand(to: [g, n / g, f, h, w]).reshape([n, f, h, w])
        return try Tensor.concat([self, y], axis: 1)
    }

    /// Noise injection: `x + noise · strength`, with noise `[N or 1, 1, H, W]` and strength a
    /// scalar `[1]` (StyleGAN2) or one value per channel `[C]` (StyleGAN v1).
    public func addNoise(_ noise: Tensor, strength: Tensor) throws -> Tensor {
        let scale = strength.count == 1 ? try strength.reshape([1, 1, 1, 1]) : try strength.reshape([1, -1, 1, 1])
        return try self + noise * scale
    }
}

/// The official `conv2d_resample` for the cases StyleGAN uses: no resampling, up-sampling,
/// and down-sampling.
///
/// `flipWeight` true computes correlation (like `F.conv2d`), false a true convolution.
/// Up-sampling is a transposed convolution with stride `up`, then the FIR with gain up².
/// Down-sampling is the FIR with padding `p + [(fw − down + 1)/2, (fw − down)/2]`, then a strided
/// convolution (for 1×1 weights: FIR down-sampling, then the convolution).
public func conv2dResample(_ x: Tensor, weight w: Tensor, filter f: Tensor?, up: Int = 1, down: Int = 1,
                           padding: Int = 0, groups: Int = 1, flipWeight: Bool = true) throws -> Tensor {
    let (kh, kw) = (w.shape[2], w.shape[3])
    // The weight for correlation (what conv2d computes).
    func correlationWeight() throws -> Tensor { flipWeight ? w : try w.flip(axes: [2, 3]) }
    if up == 1 && down == 1 {
        return try x.conv2d(correlationWeight(), padding: (padding, padding), groups: groups)
    }
    guard let f, f.rank == 2 else {
        throw TensorError.invalidArgument(op: "conv2dResample", reason: "up \(up) / down \(down) needs a 2-D resample filter")
    }
    let (fh, fw) = (f.shape[0], f.shape[1])
    if up > 1 && down == 1 {
        // As the official code: a transposed convolution with stride `up` (a quarter of the
        // multiply-adds of convolving the up-sampled image for up = 2), then the FIR filter.
        let (px0, px1) = (padding + (fw + up - 1) / 2 - (kw - 1), padding + (fw - up) / 2 - (kw - up))
        let (py0, py1) = (padding + (fh + up - 1) / 2 - (kh - 1), padding + (fh - up) / 2 - (kh - up))
        let (pxt, pyt) = (max(min(-px0, -px1), 0), max(min(-py0, -py1), 0))
        // The transposed convolution is the input gradient of a convolution whose weight has
        // input and output channels swapped per group: [O, I/g, kh, kw] → [g·I/g, O/g, kh, kw].
        let (o, ig) = (w.shape[0], w.shape[1])
        let swapped = try (flipWeight ? w.flip(axes: [2, 3]) : w)
            .reshape([groups, o / groups, ig, kh, kw]).transpose(1, 2).reshape([groups * ig, o / groups, kh, kw])
        let p = Conv2dParameters(stride: (up, up), padding: (pyt, pxt), groups: groups)
        let outputShape = [x.shape[0], o, (x.shape[2] - 1) * up - 2 * pyt + kh, (x.shape[3] - 1) * up - 2 * pxt + kw]
        return try x.conv2dBackwardInput(swapped, p, inputShape: outputShape)
            .upfirdn2d(filter: f, UpFirDn2dParameters(padding: (px0 + pxt, px1 + pxt, py0 + pyt, py1 + pyt), gain: Double(up * up)))
    }
    if down > 1 && up == 1 {
        let pads = (padding + (fw - down + 1) / 2, padding + (fw - down) / 2, padding + (fh - down + 1) / 2, padding + (fh - down) / 2)
        if kh == 1 && kw == 1 {
            return try x.upfirdn2d(filter: f, UpFirDn2dParameters(down: down, padding: pads)).conv2d(correlationWeight(), groups: groups)
        }
        return try x.upfirdn2d(filter: f, UpFirDn2dParameters(padding: pads))
            .conv2d(correlationWeight(), stride: (down, down), groups: groups)
    }
    throw TensorError.unsupported(op: "conv2dResample", reason: "up \(up) with down \(down) at once is not implemented")
}

/// The official `modulated_conv2d`: per-sample `styles` `[N, I]` scale the weight `[O, I, kh, kw]`,
/// demodulation divides by `sqrt(Σ w² + 1e-8)` per output channel, and `noise` is added after
/// demodulation. `fused` computes it as one grouped convolution with per-sample weights;
/// otherwise the activations are scaled before and after a shared convolution.
public func modulatedConv2d(_ x: Tensor, weight: Tensor, styles: Tensor, noise: Tensor? = nil,
                            up: Int = 1, down: Int = 1, padding: Int = 0, filter: Tensor? = nil,
                            demodulate: Bool = true, flipWeight: Bool = true, fused: Bool = true) throws -> Tensor {
    let n = x.shape[0]
    let (o, i, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
    guard x.rank == 4, x.shape[1] == i, styles.shape == [n, i] else {
        throw TensorError.shapeMismatch(op: "modulatedConv2d", shapes: [x.shape, weight.shape, styles.shape],
                                        reason: "need x [N, I, H, W], weight [O, I, kh, kw] and styles [N, I]")
    }
    // d[n, o] = rsqrt(Σ_{i,k} (weight[o, i, k]·styles[n, i])² + 1e-8), computed without forming the
    // per-sample weights: Σ_i styles[n, i]² · Σ_k weight[o, i, k]², one small matmul.
    let dcoefs: Tensor? = demodulate
        ? try (styles.square().matmul(weight.square().sum(axes: [2, 3]), transposeOther: true) + 1e-8).rsqrt()   // [N, O]
        : nil
    if !fused {
        var y = try x * styles.reshape([n, i, 1, 1])
        y = try conv2dResample(y, weight: weight, filter: filter, up: up, down: down, padding: padding, flipWeight: flipWeight)
        if let dcoefs { y = try y * dcoefs.reshape([n, o, 1, 1]) }
        if let noise { y = try y + noise }
        return y
    }
    var modulated = try weight.reshape([1, o, i, kh, kw]) * styles.reshape([n, 1, i, 1, 1])   // [N, O, I, kh, kw]
    if let dcoefs { modulated = try modulated * dcoefs.reshape([n, o, 1, 1, 1]) }
    let grouped = try x.reshape([1, n * i, x.shape[2], x.shape[3]])
    var y = try conv2dResample(grouped, weight: modulated.reshape([n * o, i, kh, kw]), filter: filter,
                               up: up, down: down, padding: padding, groups: n, flipWeight: flipWeight)
    y = try y.reshape([n, o, y.shape[2], y.shape[3]])
    if let noise { y = try y + noise }
    return y
}
