import CLAPACK
import Rendering

/// The kernel inception distance (Bińkowski et al. 2018) as the official
/// `metrics/kernel_inception_distance.py` computes it: the unbiased MMD² with the polynomial kernel
/// `k(x, y) = (xᵀy / n + 1)³`, averaged over `subsets` random subsets of `m = min(#gen, #real,
/// maxSubsetSize)` vectors from each side. The subsets are drawn as `np.random.choice(…, m,
/// replace=False)` from a NumPy `RandomState(seed)` (the official code uses NumPy's global generator,
/// unseeded), first the generated subset, then the real one.
public func kernelInceptionDistance(generated: [Float], real: [Float], dimension n: Int,
                                    subsets: Int = 100, maxSubsetSize: Int = 1000, seed: UInt32 = 0) throws -> Double {
    let gCount = generated.count / n, rCount = real.count / n
    guard generated.count == gCount * n, real.count == rCount * n else {
        throw MetricsError.featureLength(expected: n, found: generated.count % n == 0 ? real.count : generated.count)
    }
    let m = Swift.min(gCount, rCount, maxSubsetSize)
    guard m >= 2 else { throw MetricsError.tooFewImages(what: "KID", count: Swift.min(gCount, rCount), needed: 2) }
    var random = NumpyRandomState(seed: seed)
    func choice(_ population: Int) -> [Int] {
        var order = Array(0..<population)
        random.shuffle(&order)
        return Array(order.prefix(m))
    }
    func rows(_ features: [Float], _ indices: [Int]) -> [Double] {
        var out = [Double](repeating: 0, count: indices.count * n)
        for (r, i) in indices.enumerated() {
            for j in 0..<n { out[r * n + j] = Double(features[i * n + j]) }
        }
        return out
    }
    /// Σ over all entries of `(P Qᵀ / n + 1)³`, and over its diagonal.
    func kernelSums(_ p: [Double], _ q: [Double]) -> (all: Double, diagonal: Double) {
        var product = [Double](repeating: 0, count: m * m)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(m), Int32(n), 1 / Double(n),
                    p, Int32(n), q, Int32(n), 0, &product, Int32(m))
        var all = 0.0, diagonal = 0.0
        for i in 0..<m {
            for j in 0..<m {
                let k = product[i * m + j] + 1
                all += k * k * k
                if i == j { diagonal += k * k * k }
            }
        }
        return (all, diagonal)
    }
    var t = 0.0
    for _ in 0..<subsets {
        let x = rows(generated, choice(gCount))
        let y = rows(real, choice(rCount))
        let xx = kernelSums(x, x), yy = kernelSums(y, y), xy = kernelSums(x, y)
        t += (xx.all + yy.all - xx.diagonal - yy.diagonal) / Double(m - 1) - xy.all * 2 / Double(m)
    }
    return t / Double(subsets) / Double(m)
}
