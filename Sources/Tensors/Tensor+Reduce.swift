// Reductions over axes.

extension Tensor {
    /// `op` over `axes` (negative axes count from the end; empty means all), times `scale`.
    public func reduce(_ op: ReduceOp, axes: [Int], keepDims: Bool = false, scale: Double = 1) throws -> Tensor {
        let axes = try normalizedAxes(axes.isEmpty ? Array(0..<rank) : axes, op: op.rawValue)
        let result = try device.backend.reduce(op, storage, shape: shape, axes: axes, scale: scale)
        let keptShape = shape.indices.map { axes.contains($0) ? 1 : shape[$0] }
        let outShape = keepDims ? keptShape : shape.indices.filter { !axes.contains($0) }.map { shape[$0] }
        return Tensor(storage: result, shape: outShape, device: device).recorded(op.rawValue, [self]) { g, y in
            // The scale goes on the small gradient, before it is spread to the input's shape.
            let scaled = try (scale == 1 ? g : g * scale).reshape(keptShape)
            switch op {
            case .sum:
                return [try scaled.expand(to: self.shape)]
            case .max, .min:
                // Every element equal to the extreme gets the gradient (broadcast by the product).
                let extreme = try y.reshape(keptShape)
                let beyond = op == .max ? try extreme.greater(self) : try self.greater(extreme)
                return [try (1.0 - beyond) * scaled]
            }
        }
    }

    /// Sum over `axes` (all when empty).
    public func sum(axes: [Int] = [], keepDims: Bool = false) throws -> Tensor {
        try reduce(.sum, axes: axes, keepDims: keepDims)
    }

    /// Mean over `axes` (all when empty).
    public func mean(axes: [Int] = [], keepDims: Bool = false) throws -> Tensor {
        let axes = try normalizedAxes(axes.isEmpty ? Array(0..<rank) : axes, op: "mean")
        let n = axes.reduce(1) { $0 * shape[$1] }
        return try reduce(.sum, axes: axes, keepDims: keepDims, scale: n == 0 ? .nan : 1 / Double(n))
    }

    /// Maximum over `axes` (all when empty).
    public func max(axes: [Int] = [], keepDims: Bool = false) throws -> Tensor {
        try reduce(.max, axes: axes, keepDims: keepDims)
    }

    /// Minimum over `axes` (all when empty).
    public func min(axes: [Int] = [], keepDims: Bool = false) throws -> Tensor {
        try reduce(.min, axes: axes, keepDims: keepDims)
    }

    /// Axes in 0..<rank, sorted and unique; negative axes count from the end.
    func normalizedAxes(_ axes: [Int], op: String) throws -> [Int] {
        let out = try axes.map { axis -> Int in
            let a = axis < 0 ? axis + rank : axis
            guard (0..<rank).contains(a) else {
                throw TensorError.invalidArgument(op: op, reason: "axis \(axis) out of range for shape \(shape)")
            }
            return a
        }
        guard Set(out).count == out.count else {
            throw TensorError.invalidArgument(op: op, reason: "repeated axis in \(axes)")
        }
        return out.sorted()
    }
}
