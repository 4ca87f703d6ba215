/// Helpers for row-major shapes.
public enum Shape {
    /// The number of elements of `shape`.
    @inlinable
    public static func count(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Row-major (contiguous) strides of `shape`.
    public static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[d] = step
            step *= shape[d]
        }
        return strides
    }

    /// The broadcast of two shapes (NumPy rules), or nil when they do not broadcast.
    public static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if x == y || y == 1 { out[i] = x } else if x == 1 { out[i] = y } else { return nil }
        }
        return out
    }

    /// Strides that read a contiguous tensor of `shape` as if it had shape `target`
    /// (stride 0 on broadcast dimensions). `shape` must broadcast to `target`.
    public static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let own = strides(shape)
        let lead = target.count - shape.count
        return (0..<target.count).map { i in
            i < lead || shape[i - lead] == 1 ? 0 : own[i - lead]
        }
    }

    /// Merges adjacent dimensions that every operand walks contiguously, so kernels loop over
    /// fewer dimensions. Returns the merged shape and each operand's merged strides.
    public static func collapse(_ shape: [Int], _ strides: [[Int]]) -> (shape: [Int], strides: [[Int]]) {
        // Axes of size 1 address nothing: dropped first (a leading 1 used to leave four axes where
        // three remain, and the kernels then decomposed every index with divisions).
        let kept = shape.indices.filter { shape[$0] != 1 }
        if kept.count < shape.count {
            return collapseAxes(kept.map { shape[$0] }, strides.map { s in kept.map { s[$0] } })
        }
        return collapseAxes(shape, strides)
    }

    private static func collapseAxes(_ shape: [Int], _ strides: [[Int]]) -> (shape: [Int], strides: [[Int]]) {
        guard !shape.isEmpty else { return ([1], strides.map { _ in [0] }) }
        var outShape = [shape[shape.count - 1]]
        var outStrides = strides.map { [$0[shape.count - 1]] }
        for d in stride(from: shape.count - 2, through: 0, by: -1) {
            let inner = outShape[0]
            let mergeable = strides.indices.allSatisfy { s in strides[s][d] == outStrides[s][0] * inner }
            if mergeable {
                outShape[0] *= shape[d]
            } else {
                outShape.insert(shape[d], at: 0)
                for s in strides.indices { outStrides[s].insert(strides[s][d], at: 0) }
            }
        }
        return (outShape, outStrides)
    }
}
