import Foundation
import ImageIO
import Networks
import Rendering
import Tensors

/// A metric computed from Inception features, as the official `metrics/metric_main.py` defines it.
/// Coded (in training options) as its name.
public struct InceptionMetric: Sendable, Equatable, Codable {
    public enum Kind: Sendable, Equatable {
        case fid
        /// KID over `subsets` subsets of at most `maxSubsetSize` vectors from each side.
        case kid(subsets: Int, maxSubsetSize: Int)
    }

    /// The official name (`fid50k_full`), the key in `metric-*.jsonl`.
    public var name: String
    public var kind: Kind
    /// Real images used (the first ones of the dataset); nil: all.
    public var maxReal: Int?
    /// Generated images (or fake images read, at most).
    public var generated: Int

    /// `fid50k_full`: 50,000 generated images against all reals.
    public static let fid50kFull = InceptionMetric(name: "fid50k_full", kind: .fid, maxReal: nil, generated: 50_000)
    /// `kid50k_full`: 50,000 generated against up to 1,000,000 reals, 100 subsets of 1,000.
    public static let kid50kFull = InceptionMetric(name: "kid50k_full", kind: .kid(subsets: 100, maxSubsetSize: 1000),
                                                   maxReal: 1_000_000, generated: 50_000)
    /// Quick checks: 10,000 and 2,000 images from each side (the reals are the dataset's first ones).
    public static let fid10k = InceptionMetric(name: "fid10k", kind: .fid, maxReal: 10_000, generated: 10_000)
    public static let fid2k = InceptionMetric(name: "fid2k", kind: .fid, maxReal: 2_000, generated: 2_000)

    public static let all: [InceptionMetric] = [.fid50kFull, .kid50kFull, .fid10k, .fid2k]

    /// The metric named `name`, nil for one that is not an Inception metric: one of `all`, or
    /// `fid<N>` / `fid<N>k` for N (thousand) images from each side, for quick checks of any size.
    public static func named(_ name: String) -> InceptionMetric? {
        if let metric = all.first(where: { $0.name == name }) { return metric }
        guard name.hasPrefix("fid") else { return nil }
        var digits = name.dropFirst(3)
        let thousands = digits.hasSuffix("k")
        if thousands { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let n = Int(digits), n >= 2, n <= 1_000_000,
              !thousands || n <= 1000 else { return nil }
        let count = thousands ? n * 1000 : n
        return InceptionMetric(name: name, kind: .fid, maxReal: count, generated: count)
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let metric = Self.named(name) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown metric '\(name)'; known: \(Self.knownNames)")
        }
        self = metric
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }

    init(name: String, kind: Kind, maxReal: Int?, generated: Int) {
        (self.name, self.kind, self.maxReal, self.generated) = (name, kind, maxReal, generated)
    }

    /// What `--metrics` accepts, for messages.
    public static let knownNames = all.map(\.name).joined(separator: ", ") + ", fid<N> or fid<N>k (N images from each side)"
}

/// The images of a generator for a metric: image i comes from the latent of seed `seed + i`
/// (`np.random.RandomState(seed + i).randn(z_dim)`), at psi 1 with random noise (as the official
/// metrics call `G(z, c)`), quantised to 8 bits as the official code does.
public struct GeneratedImages: MetricImages {
    public let generator: ImageGenerator
    public let count: Int
    public let seed: UInt32
    public let batchSize: Int

    public init(generator: ImageGenerator, count: Int, seed: UInt32 = 0, batchSize: Int = 16) {
        self.generator = generator
        self.count = count
        self.seed = seed
        self.batchSize = batchSize
    }

    public var name: String { "generated images" }

    public func images(_ range: Range<Int>) throws -> [PNGImage] {
        var renderer = Renderer(generator: generator)
        renderer.noiseMode = .random
        renderer.batchSize = batchSize
        let latents = range.map { renderer.latent(seed: seed &+ UInt32(truncatingIfNeeded: $0)) }
        return try Renderer.quantize(renderer.render(latents: latents, noiseSeed: UInt64(seed) << 32 | UInt64(range.lowerBound)).images)
    }

    public func contentHash() throws -> String? { nil }
}

/// Computes Inception metrics: features of each image set once per run (shared by the metrics that
/// need them), the reals' features cached on disk, progress reported as images are done.
public final class InceptionMetrics {
    public let network: InceptionV3
    /// The weights file, whose SHA-256 is part of the cache key (hashed on the first cache use).
    public let weightsPath: String
    private var weightsHash: String?
    public let cache: FeatureCache?
    public var batchSize = 16
    /// Hears `(what, done, total, seconds so far)` after each batch.
    public var progress: ((String, Int, Int, Double) -> Void)?

    public init(weights path: String, device: Device, cache: FeatureCache?) throws {
        network = try InceptionV3(file: path, on: device)
        weightsPath = path
        self.cache = cache
    }

    /// The SHA-256 of the weights file, computed once.
    func weightsDigest() throws -> String {
        if let weightsHash { return weightsHash }
        let digest = try SHA256.ofFile(weightsPath)
        weightsHash = digest
        return digest
    }

    /// The features `[n, 2048]` of the first `n` images of `source`; cached when the source has a content hash.
    public func features(of source: MetricImages, count n: Int, what: String) throws -> [Float] {
        let hash = cache == nil ? nil : try source.contentHash()
        let weights = hash == nil ? "" : try weightsDigest()
        if let cache, let hash, let cached = cache.load(images: hash, weights: weights, count: n) {
            progress?("\(what) (cached)", n, n, 0)
            return cached
        }
        let start = Date()
        var out: [Float] = []
        out.reserveCapacity(n * InceptionV3.featureCount)
        var done = 0
        while done < n {
            let end = Swift.min(done + batchSize, n)
            out += try network.features(of: source.images(done..<end), batchSize: batchSize)
            done = end
            progress?(what, done, n, Date().timeIntervalSince(start))
        }
        if let cache, let hash { cache.store(out, images: hash, weights: weights, count: n) }
        return out
    }

    /// Each of `metrics` for `fakes` against `reals`; the features of each side are computed once,
    /// for the most images any of the metrics uses.
    public func compute(_ metrics: [InceptionMetric], reals: MetricImages, fakes: MetricImages,
                        kidSeed: UInt32 = 0) throws -> [(metric: InceptionMetric, value: Double)] {
        guard !metrics.isEmpty else { return [] }
        let realCount = metrics.map { Swift.min($0.maxReal ?? reals.count, reals.count) }.max()!
        let fakeCount = metrics.map { Swift.min($0.generated, fakes.count) }.max()!
        let real = try features(of: reals, count: realCount, what: "real images")
        let fake = try features(of: fakes, count: fakeCount, what: "fake images")
        let d = InceptionV3.featureCount
        return try metrics.map { metric in
            let r = Array(real.prefix(Swift.min(metric.maxReal ?? reals.count, reals.count) * d))
            let f = Array(fake.prefix(Swift.min(metric.generated, fakes.count) * d))
            switch metric.kind {
            case .fid:
                return (metric, try frechetDistance(FeatureStatistics(features: f, dimension: d), FeatureStatistics(features: r, dimension: d)))
            case .kid(let subsets, let maxSubsetSize):
                return (metric, try kernelInceptionDistance(generated: f, real: r, dimension: d, subsets: subsets,
                                                            maxSubsetSize: maxSubsetSize, seed: kidSeed))
            }
        }
    }
}
