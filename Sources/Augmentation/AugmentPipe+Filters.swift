// The fixed filters of the augmentation pipeline: the geometric warp's orthogonal low-pass (the
// sym6 wavelet) and the image-space filter's bank of four bands built from sym2.

extension AugmentPipe {
    /// Low-pass decomposition coefficients of the Symlet wavelets the pipeline uses (the published
    /// values, as in PyWavelets and the official `augment.py`).
    static let sym2: [Double] = [-0.12940952255092145, 0.22414386804185735, 0.836516303737469, 0.48296291314469025]
    static let sym6: [Double] = [
        0.015404109327027373, 0.0034907120842174702, -0.11799011114819057, -0.048311742585633, 0.4910559419267466,
        0.787641141030194, 0.3379294217276218, -0.07263752278646252, -0.021060292512300564, 0.04472490177066578,
        0.0017677118642428036, -0.007800708325034148,
    ]

    /// The geometric warp's separable filter: sym6 normalised to sum 1 (`upfirdn2d.setup_filter`).
    public static let geometricFilter: [Double] = {
        let total = sym6.reduce(0, +)
        return sym6.map { $0 / total }
    }()

    /// The full convolution of `a` and `b`.
    static func convolve(_ a: [Double], _ b: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: a.count + b.count - 1)
        for (i, x) in a.enumerated() { for (j, y) in b.enumerated() { out[i + j] += x * y } }
        return out
    }

    /// The image-space filter bank `[4, 43]`: band i's filter (band 0 the lowest frequencies), built
    /// as the official constructor does: starting from a unit impulse, three times the bands so far
    /// are dilated by two and smoothed with H(z)·H(z⁻¹)/2, and band i gets H(−z)·H(−z⁻¹)/2 added in the middle.
    public static let filterBank: [[Double]] = {
        let lo = sym2
        let hi = lo.enumerated().map { i, v in i % 2 == 0 ? v : -v }
        let lo2 = convolve(lo, lo.reversed()).map { $0 / 2 }
        let hi2 = convolve(hi, hi.reversed()).map { $0 / 2 }
        var bank: [[Double]] = [[1], [0], [0], [0]]
        for i in 1..<4 {
            bank = bank.map { row in
                let dilated: [Double] = row.enumerated().flatMap { j, v -> [Double] in j == row.count - 1 ? [v] : [v, 0] }
                return convolve(dilated, lo2)
            }
            let length = bank[i].count
            for (k, v) in hi2.enumerated() { bank[i][(length - hi2.count) / 2 + k] += v }
        }
        return bank
    }()

    /// The expected power spectrum of the four bands (1/f), for the gain normalisation.
    static let expectedPower: [Float] = [10 / 13, 1 / 13, 1 / 13, 1 / 13]
}
