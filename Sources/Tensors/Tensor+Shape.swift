// Shape ops: reshape shares storage; permute, slice, concat and expand copy through one strided copy.

extension Tensor {
    /// The same elements with another shape; one dimension may be -1 (inferred). Shares storage.
    public func reshape(_ newShape: [Int]) throws -> Tensor {
        var newShape = newShape
        let unknown = newShape.indices.filter { newShape[$0] == -1 }
        let known = newShape.filter { $0 != -1 }.reduce(1, *)
        if unknown.count == 1, known > 0, count % known == 0 {
            newShape[unknown[0]] = count / known
        }
        guard newShape.allSatisfy({ $0 >= 0 }), Shape.count(newShape) == count else {
            throw TensorError.shapeMismatch(op: "reshape", shapes: [shape, newShape], reason: "hold different numbers of elements")
        }
        return Tensor(storage: storage, shape: newShape, device: device)
            .recorded("reshape", [self]) { g, _ in [try g.reshape(self.shape)] }
    }

    /// Dimensions reordered: result dimension i is this tensor's dimension `order[i]`.
    public func permute(_ order: [Int]) throws -> Tensor {
        guard order.sorted() == Array(0..<rank) else {
            throw TensorError.invalidArgument(op: "permute", reason: "\(order) is not a permutation of the axes of shape \(shape)")
        }
        let strides = Shape.strides(shape)
        var inverse = order
        for (i, axis) in order.enumerated() { inverse[axis] = i }
        return try stridedCopy(shape: order.map { shape[$0] }, offset: 0, strides: order.map { strides[$0] })
            .recorded("permute", [self]) { g, _ in [try g.permute(inverse)] }
    }

    /// Dimensions `a` and `b` swapped (negative axes count from the end).
    public func transpose(_ a: Int = -2, _ b: Int = -1) throws -> Tensor {
        let axes = try [a, b].map { try normalizedAxes([$0], op: "transpose")[0] }
        var order = Array(0..<rank)
        order.swapAt(axes[0], axes[1])
        return try permute(order)
    }

    /// Elements `range` along `axis`.
    public func slice(axis: Int, _ range: Range<Int>) throws -> Tensor {
        let axis = try normalizedAxes([axis], op: "slice")[0]
        guard range.lowerBound >= 0, range.upperBound <= shape[axis] else {
            throw TensorError.invalidArgument(op: "slice", reason: "range \(range) outside 0..<\(shape[axis]) of axis \(axis) of shape \(shape)")
        }
        var outShape = shape
        outShape[axis] = range.count
        let strides = Shape.strides(shape)
        return try stridedCopy(shape: outShape, offset: range.lowerBound * strides[axis], strides: strides)
            .recorded("slice", [self]) { g, _ in
                // Zeros around the slice: the gradient of the elements that were cut away.
                var pieces: [Tensor] = []
                var before = self.shape, after = self.shape
                before[axis] = range.lowerBound
                after[axis] = self.shape[axis] - range.upperBound
                if before[axis] > 0 { pieces.append(try Tensor.zeros(before, dtype: g.dtype, on: g.device)) }
                pieces.append(g)
                if after[axis] > 0 { pieces.append(try Tensor.zeros(after, dtype: g.dtype, on: g.device)) }
                return [pieces.count == 1 ? g : try Tensor.concat(pieces, axis: axis)]
            }
    }

    /// The elements in reverse order along each of `axes`.
    public func flip(axes: [Int]) throws -> Tensor {
        let axes = try normalizedAxes(axes, op: "flip")
        var strides = Shape.strides(shape)
        var offset = 0
        for axis in axes where shape[axis] > 0 {
            offset += (shape[axis] - 1) * strides[axis]
            strides[axis] = -strides[axis]
        }
        return try stridedCopy(shape: shape, offset: offset, strides: strides)
            .recorded("flip", [self]) { g, _ in [try g.flip(axes: axes)] }
    }

    /// A copy with storage of its own (no gradient history).
    public func copy() throws -> Tensor {
        try stridedCopy(shape: shape, offset: 0, strides: Shape.strides(shape))
    }

    /// This tensor repeated along dimensions of size 1 (and new leading ones) to `target`.
    public func expand(to target: [Int]) throws -> Tensor {
        guard Shape.broadcast(shape, target) == target else {
            throw TensorError.shapeMismatch(op: "expand", shapes: [shape, target], reason: "do not broadcast to the second")
        }
        return try stridedCopy(shape: target, offset: 0, strides: Shape.broadcastStrides(shape, to: target))
            .recorded("expand", [self]) { g, _ in [try g.sum(toShape: self.shape)] }
    }

    /// The tensors joined along `axis`; all other dimensions must agree.
    public static func concat(_ tensors: [Tensor], axis: Int) throws -> Tensor {
        guard let first = tensors.first else {
            throw TensorError.invalidArgument(op: "concat", reason: "no tensors to join")
        }
        let axis = try first.normalizedAxes([axis], op: "concat")[0]
        for t in tensors.dropFirst() {
            try first.checkDevice(t, op: "concat")
            var a = first.shape, b = t.shape
            guard a.count == b.count else {
                throw TensorError.shapeMismatch(op: "concat", shapes: [a, b], reason: "have different ranks")
            }
            a[axis] = 0
            b[axis] = 0
            guard a == b else {
                throw TensorError.shapeMismatch(op: "concat", shapes: [first.shape, t.shape], reason: "differ outside axis \(axis)")
            }
        }
        var outShape = first.shape
        outShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let backend = first.device.backend
        let out = try backend.allocate(count: Shape.count(outShape), dtype: first.dtype)
        let outStrides = Shape.strides(outShape)
        var position = 0
        for t in tensors {
            try backend.copy(t.storage, offset: 0, strides: Shape.strides(t.shape), shape: t.shape,
                             into: out, outOffset: position * outStrides[axis], outStrides: outStrides)
            position += t.shape[axis]
        }
        var starts: [Int] = []
        var start = 0
        for t in tensors {
            starts.append(start)
            start += t.shape[axis]
        }
        return Tensor(storage: out, shape: outShape, device: first.device).recorded("concat", tensors) { g, _ in
            try zip(tensors, starts).map { t, start in
                t.needsGradient ? try g.slice(axis: axis, start..<(start + t.shape[axis])) : nil
            }
        }
    }

    /// A contiguous copy of the elements at `offset + k·strides` for every index k of `shape`.
    func stridedCopy(shape: [Int], offset: Int, strides: [Int]) throws -> Tensor {
        let out = try device.backend.allocate(count: Shape.count(shape), dtype: dtype)
        try device.backend.copy(storage, offset: offset, strides: strides, shape: shape,
                                into: out, outOffset: 0, outStrides: Shape.strides(shape))
        return Tensor(storage: out, shape: shape, device: device)
    }
}
