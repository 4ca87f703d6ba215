import Foundation
import Tensors

// Pixel blitting and general geometric transformations: one inverse homogeneous transform per
// sample (output pixel → input pixel), executed as the official code does: reflect padding, ×2
// up-sampling with the sym6 low-pass, bilinear sampling, then ×2 down-sampling with the same filter.

extension AugmentPipe {
    /// Padding of the warp's low-pass in input pixels (`Hz_geom.shape[0] // 4`).
    static let geometricPad = 3

    /// The per-sample inverse transforms `G_inv`, drawn in the official order.
    func drawGeometric(batch: Int, width: Int, height: Int, _ random: inout some AugmentRandomness) -> [AugmentMatrix] {
        var inverse = [AugmentMatrix](repeating: .identity(3), count: batch)
        func then(_ transforms: [AugmentMatrix]) { inverse = zip(inverse, transforms).map { $0 * $1 } }

        if xflip > 0 {
            let i = gated(random.uniform(1).map { [floorf($0[0] * 2)] }, probability: xflip, identity: 0, &random)
            then(i.map { .scale2dInv(1 - 2 * $0[0], 1) })
        }
        if rotate90 > 0 {
            let i = gated(random.uniform(1).map { [floorf($0[0] * 4)] }, probability: rotate90, identity: 0, &random)
            then(i.map { .rotate2dInv(Float(-Double.pi / 2) * $0[0]) })
        }
        if xint > 0 {
            let t = gated(random.uniform(2).map { $0.map { ($0 * 2 - 1) * Float(xintMax) } }, probability: xint, identity: 0, &random)
            then(t.map { .translate2dInv(($0[0] * Float(width)).rounded(.toNearestOrEven), ($0[1] * Float(height)).rounded(.toNearestOrEven)) })
        }
        if scale > 0 {
            let s = gated(random.normal(1).map { [exp2f($0[0] * Float(scaleStd))] }, probability: scale, identity: 1, &random)
            then(s.map { .scale2dInv($0[0], $0[0]) })
        }
        // P(pre OR post) = p for the two rotations.
        let pRot = 1 - (1 - Float(rotate) * Float(p)).clamped(0, 1).squareRoot()
        func drawRotation() -> [AugmentMatrix] {
            let theta = random.uniform(1).map { [($0[0] * 2 - 1) * Float(Double.pi) * Float(rotateMax)] }
            let gate = random.uniform(1)
            return zip(theta, gate).map { t, g in .rotate2dInv(-(g[0] < pRot ? t[0] : 0)) }
        }
        if rotate > 0 { then(drawRotation()) }   // before anisotropic scaling
        if aniso > 0 {
            let s = gated(random.normal(1).map { [exp2f($0[0] * Float(anisoStd))] }, probability: aniso, identity: 1, &random)
            then(s.map { .scale2dInv($0[0], 1 / $0[0]) })
        }
        if rotate > 0 { then(drawRotation()) }   // after anisotropic scaling
        if xfrac > 0 {
            let t = gated(random.normal(2).map { $0.map { $0 * Float(xfracStd) } }, probability: xfrac, identity: 0, &random)
            then(t.map { .translate2dInv($0[0] * Float(width), $0[1] * Float(height)) })
        }
        return inverse
    }

    /// Executes the transforms `inverse` (one per sample); a batch whose transforms are all the
    /// identity is returned unchanged (the official code warps it anyway, which changes it only by
    /// float rounding).
    func applyGeometric(_ images: Tensor, inverse: [AugmentMatrix]) throws -> Tensor {
        guard inverse.contains(where: { $0 != .identity(3) }) else { return images }
        let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        let pad = Self.geometricPad

        // Padding: the reflected margin every sample's corners need, plus the filter's support.
        let cx = Float(Double(w - 1) / 2), cy = Float(Double(h - 1) / 2)
        let corners: [(Float, Float)] = [(-cx, -cy), (cx, -cy), (cx, cy), (-cx, cy)]
        var margin = [Float](repeating: -.infinity, count: 4)   // max(-x), max(-y), max(x), max(y)
        for g in inverse {
            for (x, y) in corners {
                let px = g[0, 0] * x + g[0, 1] * y + g[0, 2], py = g[1, 0] * x + g[1, 1] * y + g[1, 2]
                margin = [Swift.max(margin[0], -px), Swift.max(margin[1], -py), Swift.max(margin[2], px), Swift.max(margin[3], py)]
            }
        }
        let offsets = [Float(Double(pad * 2) - Double(w - 1) / 2), Float(Double(pad * 2) - Double(h - 1) / 2)]
        let limits = [Float(w - 1), Float(h - 1)]
        let m = margin.indices.map { i in Int((margin[i] + offsets[i % 2]).clamped(0, limits[i % 2]).rounded(.up)) }
        let (mx0, my0, mx1, my1) = (m[0], m[1], m[2], m[3])
        var x = try images.padReflect((mx0, mx1, my0, my1))
        var g = inverse.map { AugmentMatrix.translate2d(Float(Double(mx0 - mx1) / 2), Float(Double(my0 - my1) / 2)) * $0 }

        // Up-sample ×2 (the official upsample2d with the separable sym6 filter).
        let filter = Self.geometricFilter
        x = try x.upsampleSeparable(filter)
        g = g.map { .scale2d(2, 2) * $0 * .scale2d(0.5, 0.5) }
        g = g.map { .translate2d(-0.5, -0.5) * $0 * .translate2d(0.5, 0.5) }

        // Sample the output grid (normalised coordinates: ±1 at the outer pixel edges).
        let (oh, ow) = ((h + pad * 2) * 2, (w + pad * 2) * 2)
        let (uh, uw) = (x.shape[2], x.shape[3])
        g = g.map {
            .scale2d(Float(2 / Double(uw)), Float(2 / Double(uh))) * $0
                * .scale2d(Float(1 / (2 / Double(ow))), Float(1 / (2 / Double(oh))))
        }
        let theta = try Tensor(g.flatMap { Array($0.m[0..<6]).map(Double.init) }, shape: [n, 2, 3], dtype: x.dtype, on: x.device)
        x = try x.affineGridSample(theta: theta, outputSize: (oh, ow))

        // Down-sample ×2 and crop the filter's padding (downsample2d, padding −2·pad, flip_filter).
        x = try x.downsampleSeparable(filter, crop: pad * 2)
        precondition(x.shape == [n, c, h, w], "the geometric warp keeps the image size")
        return x
    }
}

extension Tensor {
    /// The official `upsample2d(x, f, up=2)` with a 1-D filter `f` (separable: x then y), gain 2 per axis.
    func upsampleSeparable(_ taps: [Double]) throws -> Tensor {
        let k = taps.count
        let (p0, p1) = ((k + 1) / 2, (k - 2) / 2)
        var px = UpFirDn2dParameters(padding: (p0, p1, 0, 0), gain: 2)
        px.up = (1, 2)
        var py = UpFirDn2dParameters(padding: (0, 0, p0, p1), gain: 2)
        py.up = (2, 1)
        return try upfirdn2d(filter: Tensor(taps, shape: [1, k], dtype: dtype, on: device), px)
            .upfirdn2d(filter: Tensor(taps, shape: [k, 1], dtype: dtype, on: device), py)
    }

    /// The official `downsample2d(x, f, down=2, padding=-crop, flip_filter=True)` with a 1-D filter
    /// (separable), gain 1: the filter correlates, so the true convolution gets it reversed.
    func downsampleSeparable(_ taps: [Double], crop: Int) throws -> Tensor {
        let k = taps.count
        let (p0, p1) = (-crop + (k - 1) / 2, -crop + (k - 2) / 2)
        var px = UpFirDn2dParameters(padding: (p0, p1, 0, 0))
        px.down = (1, 2)
        var py = UpFirDn2dParameters(padding: (0, 0, p0, p1))
        py.down = (2, 1)
        let reversed = Array(taps.reversed())
        return try upfirdn2d(filter: Tensor(reversed, shape: [1, k], dtype: dtype, on: device), px)
            .upfirdn2d(filter: Tensor(reversed, shape: [k, 1], dtype: dtype, on: device), py)
    }
}

extension Float {
    func clamped(_ low: Float, _ high: Float) -> Float { Swift.min(Swift.max(self, low), high) }
}
