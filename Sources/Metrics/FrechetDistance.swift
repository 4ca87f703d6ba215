import CLAPACK

/// The mean and covariance of feature vectors, in float64.
public struct FeatureStatistics: Equatable, Sendable {
    public var count: Int
    public var dimension: Int
    public var mean: [Double]
    /// Row-major `dimension × dimension`, normalised by `count − 1` (`np.cov(rowvar=False)`, as
    /// pytorch-fid computes it).
    public var covariance: [Double]

    /// The statistics of `count` feature vectors of `dimension` values, row after row.
    public init(features: [Float], dimension: Int) throws {
        let n = features.count / Swift.max(dimension, 1)
        guard dimension > 0, features.count == n * dimension else {
            throw MetricsError.featureLength(expected: dimension, found: features.count)
        }
        guard n >= 2 else { throw MetricsError.tooFewImages(what: "a covariance", count: n, needed: 2) }
        var mean = [Double](repeating: 0, count: dimension)
        for row in 0..<n {
            for j in 0..<dimension { mean[j] += Double(features[row * dimension + j]) }
        }
        for j in 0..<dimension { mean[j] /= Double(n) }
        var centred = [Double](repeating: 0, count: n * dimension)
        for row in 0..<n {
            for j in 0..<dimension { centred[row * dimension + j] = Double(features[row * dimension + j]) - mean[j] }
        }
        // C = Xcᵀ·Xc / (n − 1): the upper triangle from dsyrk, mirrored.
        var covariance = [Double](repeating: 0, count: dimension * dimension)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(dimension), Int32(n), 1 / Double(n - 1),
                    centred, Int32(dimension), 0, &covariance, Int32(dimension))
        for i in 0..<dimension {
            for j in 0..<i { covariance[i * dimension + j] = covariance[j * dimension + i] }
        }
        self.count = n
        self.dimension = dimension
        self.mean = mean
        self.covariance = covariance
    }

    public init(count: Int, mean: [Double], covariance: [Double]) {
        self.count = count
        self.dimension = mean.count
        self.mean = mean
        self.covariance = covariance
    }
}

/// The Fréchet distance between two Gaussians fitted to features (FID, Heusel et al. 2017):
/// `|μ₁ − μ₂|² + tr Σ₁ + tr Σ₂ − 2 tr √(Σ₁Σ₂)`.
///
/// `tr √(Σ₁Σ₂)` is taken from symmetric eigendecompositions (LAPACK `dsyevd`), not from a general
/// matrix square root: with `Σ₁ = V Λ Vᵀ` and `B = V Λ^½`, `Σ₁Σ₂` is similar to `Bᵀ Σ₂ B`, which
/// is symmetric and positive semi-definite, so `tr √(Σ₁Σ₂)` is the sum of the square roots of its
/// eigenvalues. This stays exact when the covariances are singular (fewer images than
/// dimensions), where `scipy.linalg.sqrtm` needs pytorch-fid's fallback.
public func frechetDistance(_ a: FeatureStatistics, _ b: FeatureStatistics) throws -> Double {
    guard a.dimension == b.dimension else { throw MetricsError.featureLength(expected: a.dimension, found: b.dimension) }
    let d = a.dimension
    var meanTerm = 0.0, traces = 0.0
    for j in 0..<d {
        meanTerm += (a.mean[j] - b.mean[j]) * (a.mean[j] - b.mean[j])
        traces += a.covariance[j * d + j] + b.covariance[j * d + j]
    }
    // Σ₁ = V Λ Vᵀ (V's columns are eigenvectors: LAPACK overwrites the row-major matrix with them).
    var v = a.covariance
    let lambda = try symmetricEigenvalues(&v, dimension: d, vectors: true)
    // B = V Λ^½: column j of V scaled by √λⱼ (negative rounding noise clamped to 0).
    for i in 0..<d {
        for j in 0..<d { v[i * d + j] *= lambda[j] > 0 ? lambda[j].squareRoot() : 0 }
    }
    // M = Bᵀ (Σ₂ B).
    var s2b = [Double](repeating: 0, count: d * d), m = [Double](repeating: 0, count: d * d)
    cblas_dsymm(CblasRowMajor, CblasLeft, CblasUpper, Int32(d), Int32(d), 1, b.covariance, Int32(d), v, Int32(d), 0, &s2b, Int32(d))
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(d), Int32(d), Int32(d), 1, v, Int32(d), s2b, Int32(d), 0, &m, Int32(d))
    // Symmetrise the rounding before the eigenvalues.
    for i in 0..<d {
        for j in 0..<i {
            let average = (m[i * d + j] + m[j * d + i]) / 2
            m[i * d + j] = average
            m[j * d + i] = average
        }
    }
    let mu = try symmetricEigenvalues(&m, dimension: d, vectors: false)
    let traceSqrt = mu.reduce(0) { $0 + ($1 > 0 ? $1.squareRoot() : 0) }
    return meanTerm + traces - 2 * traceSqrt
}

/// The eigenvalues (ascending) of the symmetric row-major `matrix`; with `vectors`, `matrix` is
/// overwritten with the eigenvectors as its columns.
func symmetricEigenvalues(_ matrix: inout [Double], dimension d: Int, vectors: Bool) throws -> [Double] {
    var w = [Double](repeating: 0, count: d)
    let info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, vectors ? 86 /* V */ : 78 /* N */, 85 /* U */, Int32(d), &matrix, Int32(d), &w)
    guard info == 0 else { throw MetricsError.lapack(routine: "dsyevd", info: Int32(info)) }
    return w
}
