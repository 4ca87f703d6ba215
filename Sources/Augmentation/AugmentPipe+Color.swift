import Foundation
import Tensors

// Colour transformations (one homogeneous 4×4 matrix per sample, applied to RGB, or averaged to one
// gain and offset for L), image-space filtering (four frequency bands amplified per sample), and
// the corruptions: additive RGB noise and cutout.

extension AugmentPipe {
    /// The luma axis (1, 1, 1, 0)/√3.
    static let lumaAxis: [Float] = [1, 1, 1, 0].map { Float(Double($0) / 3.0.squareRoot()) }

    /// The per-sample colour matrices `C` (colour_in → colour_out), drawn in the official order.
    func drawColor(batch: Int, channels: Int, _ random: inout some AugmentRandomness) -> [AugmentMatrix] {
        let identity = AugmentMatrix.identity(4)
        var color = [AugmentMatrix](repeating: identity, count: batch)
        func first(_ transforms: [AugmentMatrix]) { color = zip(transforms, color).map { $0 * $1 } }
        let v = Self.lumaAxis, vv = AugmentMatrix.outer(Self.lumaAxis)

        if brightness > 0 {
            let b = gated(random.normal(1).map { [$0[0] * Float(brightnessStd)] }, probability: brightness, identity: 0, &random)
            first(b.map { .translate3d($0[0], $0[0], $0[0]) })
        }
        if contrast > 0 {
            let c = gated(random.normal(1).map { [exp2f($0[0] * Float(contrastStd))] }, probability: contrast, identity: 1, &random)
            first(c.map { .scale3d($0[0], $0[0], $0[0]) })
        }
        if lumaflip > 0 {
            // Householder reflection across the plane orthogonal to the luma axis.
            let i = gated(random.uniform(1).map { [floorf($0[0] * 2)] }, probability: lumaflip, identity: 0, &random)
            first(i.map { i in AugmentMatrix(zip(identity.m, vv.m).map { $0 - 2 * $1 * i[0] }, n: 4) })
        }
        if hue > 0 && channels > 1 {
            let theta = gated(random.uniform(1).map { [($0[0] * 2 - 1) * Float(Double.pi) * Float(hueMax)] },
                              probability: hue, identity: 0, &random)
            first(theta.map { .rotate3d(v, $0[0]) })
        }
        if saturation > 0 && channels > 1 {
            let s = gated(random.normal(1).map { [exp2f($0[0] * Float(saturationStd))] }, probability: saturation, identity: 1, &random)
            first(s.map { s in AugmentMatrix(zip(vv.m, identity.m).map { vv, i in vv + (i - vv) * s[0] }, n: 4) })
        }
        return color
    }

    /// Applies the colour matrices; a batch whose matrices are all the identity is returned unchanged.
    func applyColor(_ images: Tensor, _ color: [AugmentMatrix]) throws -> Tensor {
        guard color.contains(where: { $0 != .identity(4) }) else { return images }
        let (n, channels) = (images.shape[0], images.shape[1])
        let rows: [Float]
        if channels == 3 {
            rows = color.flatMap { $0.m[0..<12] }   // C[:3, :4]: a 3×3 matrix and an offset
        } else {
            // L: the mean of the three colour rows, as one gain (its first three entries summed) and an offset.
            rows = color.flatMap { c -> [Float] in
                let mean = (0..<4).map { j in (c[0, j] + c[1, j] + c[2, j]) / 3 }
                return [mean[0] + mean[1] + mean[2], mean[3]]
            }
        }
        let matrix = try Tensor(rows.map(Double.init), shape: [n, channels, channels + 1], dtype: images.dtype, on: images.device)
        return try images.colorMatrix(matrix)
    }

    /// The per-sample band gains `g` `[batch][4]` of the image filter, drawn in the official order;
    /// nil when no band of any sample was drawn (the filter is then the identity).
    func drawFilterGains(batch: Int, _ random: inout some AugmentRandomness) -> [[Float]]? {
        let bands = imgfilterBands.count
        var g = [[Float]](repeating: [Float](repeating: 1, count: bands), count: batch)
        var drawn = false
        for (i, bandStrength) in imgfilterBands.enumerated() {
            let t = gated(random.normal(1).map { [exp2f($0[0] * Float(imgfilterStd))] },
                          probability: imgfilter * bandStrength, identity: 1, &random)
            for s in 0..<batch {
                var gain = [Float](repeating: 1, count: bands)
                gain[i] = t[s][0]
                drawn = drawn || gain[i] != 1
                // Normalise the power against the expected 1/f spectrum.
                var power: Float = 0
                for k in 0..<bands { power += Self.expectedPower[k] * gain[k] * gain[k] }
                let norm = power.squareRoot()
                for k in 0..<bands { g[s][k] *= gain[k] / norm }
            }
        }
        return drawn ? g : nil
    }

    /// Filters each sample with its combined band filter, along x then y, after reflect padding.
    func applyFilter(_ images: Tensor, gains: [[Float]]?) throws -> Tensor {
        guard let gains else { return images }
        let bank = Self.filterBank.map { $0.map { Float($0) } }
        let taps = bank[0].count
        let combined = gains.flatMap { g in (0..<taps).map { t in Double((0..<g.count).reduce(Float(0)) { $0 + g[$1] * bank[$1][t] }) } }
        let filter = try Tensor(combined, shape: [gains.count, taps], dtype: images.dtype, on: images.device)
        let p = taps / 2
        return try images.padReflect((p, p, p, p)).sampleFIR(taps: filter, axis: 3).sampleFIR(taps: filter, axis: 2)
    }

    /// Additive RGB noise with a per-sample standard deviation |N(0, 1)|·noise_std.
    func applyNoise(_ images: Tensor, _ random: inout some AugmentRandomness) throws -> Tensor {
        let sigma = gated(random.normal(1).map { [Swift.abs($0[0]) * Float(noiseStd)] }, probability: noise, identity: 0, &random)
        let needed = sigma.contains { $0[0] != 0 }
        guard let noise = try random.normalImage(images.shape, on: images.device, needed: needed), needed else { return images }
        let scale = try Tensor(sigma.map { Double($0[0]) }, shape: [images.shape[0], 1, 1, 1], dtype: images.dtype, on: images.device)
        return try images + noise.to(images.device, dtype: images.dtype).detached() * scale
    }

    /// Cutout: a rectangle of `cutout_size` of the image, centred at a uniform point, set to zero.
    func applyCutout(_ images: Tensor, _ random: inout some AugmentRandomness) throws -> Tensor {
        let (n, h, w) = (images.shape[0], images.shape[2], images.shape[3])
        let size = Float(cutoutSize)
        let gate = random.uniform(1)
        let center = random.uniform(2)
        let threshold = Float(cutout) * Float(p)
        guard gate.contains(where: { $0[0] < threshold }) else { return images }
        var mask = [Double](repeating: 1, count: n * h * w)
        for s in 0..<n where gate[s][0] < threshold {
            for y in 0..<h {
                let outsideY = Swift.abs((Float(y) + 0.5) / Float(h) - center[s][1]) >= size / 2
                for x in 0..<w {
                    let outsideX = Swift.abs((Float(x) + 0.5) / Float(w) - center[s][0]) >= size / 2
                    if !(outsideX || outsideY) { mask[(s * h + y) * w + x] = 0 }
                }
            }
        }
        return try images * Tensor(mask, shape: [n, 1, h, w], dtype: images.dtype, on: images.device)
    }
}

extension AugmentMatrix {
    init(_ values: [Float], n: Int) {
        self.init((0..<n).map { Array(values[($0 * n)..<($0 * n + n)]) })
    }
}
