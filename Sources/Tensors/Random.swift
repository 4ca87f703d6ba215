/// A small seeded generator (SplitMix64) for host-side test data and initial values:
/// the same seed gives the same numbers on every machine.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A key derived from `seed` and then each of `words` in order (each word re-seeds the
    /// generator): distinct (seed, words) give independent streams, as the per-batch, per-phase and
    /// per-draw randomness of training needs.
    public static func key(_ seed: UInt64, _ words: UInt64...) -> UInt64 {
        var mixer = SeededGenerator(seed: seed)
        for word in words { mixer = SeededGenerator(seed: mixer.next() ^ word) }
        return mixer.next()
    }

    /// A uniform value in `range`.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * Double(next() >> 11) / Double(1 << 53)
    }
}

extension Tensor {
    /// A tensor of uniform values in `range`, generated on the host from `seed`.
    public static func uniform(_ shape: [Int], in range: ClosedRange<Double> = -1...1, seed: UInt64,
                               dtype: DType = .float32, on device: Device = .cpu) throws -> Tensor {
        var generator = SeededGenerator(seed: seed)
        let values = (0..<Shape.count(shape)).map { _ in generator.uniform(range) }
        return try Tensor(values, shape: shape, dtype: dtype, on: device)
    }
}

extension Tensor {
    /// Standard normal numbers generated on `device` by the counter-based Philox generator:
    /// the same `seed` and `offset` give the same numbers on every device (up to float rounding).
    /// `offset` counts blocks of four numbers, so streams with offsets at least `count/4` apart do not overlap.
    public static func randn(_ shape: [Int], seed: UInt64, offset: UInt64 = 0,
                             dtype: DType = .float32, on device: Device = .cpu) throws -> Tensor {
        try checkShape(shape, count: nil, op: "randn")
        let storage = try device.backend.randomNormal(count: Shape.count(shape), seed: seed, offset: offset, dtype: dtype)
        return Tensor(storage: storage, shape: shape, device: device)
    }
}

/// A stream of device-generated normal numbers: each draw takes the next unused part of the
/// Philox stream of `seed`, so a run is reproducible from its seed and its position.
///
/// With `rows`, each draw is instead rows `rows` of a tensor drawn for a whole batch (draw k uses
/// its own Philox key, and each row its own blocks): a sample's numbers then depend on the seed, the
/// draw and the sample's place in the batch, not on which part of the batch a call covers (rounds of
/// `--batch-gpu`, devices).
public final class RandomStream {
    public let seed: UInt64
    /// Philox blocks (of four numbers) used so far (sequential draws).
    public private(set) var offset: UInt64
    /// The batch rows every draw covers; nil: sequential draws.
    public let rows: Range<Int>?
    /// Draws made so far (with `rows`).
    public private(set) var draws = 0

    public init(seed: UInt64, offset: UInt64 = 0) {
        self.seed = seed
        self.offset = offset
        rows = nil
    }

    /// A stream whose draws are rows `rows` of per-batch tensors (the first dimension of each shape
    /// asked for must be `rows.count`).
    public init(seed: UInt64, rows: Range<Int>) {
        self.seed = seed
        self.offset = 0
        self.rows = rows
    }

    /// The next `shape` standard normal numbers on `device`.
    public func normal(_ shape: [Int], on device: Device) throws -> Tensor {
        guard let rows else {
            let t = try Tensor.randn(shape, seed: seed, offset: offset, on: device)
            offset += UInt64((Shape.count(shape) + 3) / 4)
            return t
        }
        guard shape.first == rows.count else {
            throw TensorError.shapeMismatch(op: "RandomStream.normal", shapes: [shape], reason: "must have \(rows.count) rows (samples \(rows))")
        }
        let perRow = Shape.count(Array(shape.dropFirst())), blocks = (perRow + 3) / 4
        let key = SeededGenerator.key(seed ^ (UInt64(draws) &* 0xA24B_AED4_963E_E407))
        draws += 1
        var t = try Tensor.randn([rows.count, blocks * 4], seed: key, offset: UInt64(rows.lowerBound * blocks), on: device)
        if blocks * 4 != perRow { t = try t.slice(axis: 1, 0..<perRow) }
        return try t.reshape(shape)
    }
}
