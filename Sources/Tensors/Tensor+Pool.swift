// Pooling over windows of a [N, C, H, W] tensor: max and average (as `F.max_pool2d`, `F.avg_pool2d`).

/// Window, stride and padding of a 2-D pooling, and what an average counts.
public struct Pool2dParameters: Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// The largest element of the window (padding never wins: it is -∞).
        case max
        /// The mean of the window.
        case average
    }

    public var kind: Kind
    public var kernel: (y: Int, x: Int)
    public var stride: (y: Int, x: Int)
    public var padding: (y: Int, x: Int)
    /// For `average`: divide by the whole window (padding counted as zeros, torch's default) or only
    /// by the elements inside the image (`count_include_pad=False`, as pytorch-fid's Inception uses).
    public var countIncludesPadding: Bool

    public init(_ kind: Kind, kernel: (y: Int, x: Int), stride: (y: Int, x: Int)? = nil, padding: (y: Int, x: Int) = (0, 0),
                countIncludesPadding: Bool = true) {
        self.kind = kind
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        self.countIncludesPadding = countIncludesPadding
    }

    public static func == (l: Pool2dParameters, r: Pool2dParameters) -> Bool {
        l.kind == r.kind && l.kernel == r.kernel && l.stride == r.stride && l.padding == r.padding
            && l.countIncludesPadding == r.countIncludesPadding
    }

    /// The output size of an `H × W` input (floor, as torch's default `ceil_mode=False`).
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + 2 * padding.y - kernel.y) / stride.y + 1, (width + 2 * padding.x - kernel.x) / stride.x + 1)
    }

    /// The input rows (or columns) of output position `o` along one axis, clipped to `0..<size`.
    public static func window(_ o: Int, kernel: Int, stride: Int, padding: Int, size: Int) -> Range<Int> {
        let start = o * stride - padding
        return Swift.max(start, 0)..<Swift.min(start + kernel, size)
    }
}

extension Tensor {
    /// Max or average pooling of this `[N, C, H, W]` tensor. For inference (Inception features):
    /// it records no gradient, and differentiating through it is an error.
    public func pool2d(_ p: Pool2dParameters) throws -> Tensor {
        guard rank == 4 else {
            throw TensorError.shapeMismatch(op: "pool2d", shapes: [shape], reason: "must be of rank 4 (NCHW)")
        }
        guard p.kernel.y >= 1, p.kernel.x >= 1, p.stride.y >= 1, p.stride.x >= 1, p.padding.y >= 0, p.padding.x >= 0,
              2 * p.padding.y <= p.kernel.y, 2 * p.padding.x <= p.kernel.x else {
            throw TensorError.invalidArgument(
                op: "pool2d", reason: "kernel \(p.kernel), stride \(p.stride), padding \(p.padding) out of range (padding at most half the kernel)")
        }
        let (oh, ow) = p.outputSize(height: shape[2], width: shape[3])
        guard oh >= 1, ow >= 1 else {
            throw TensorError.shapeMismatch(op: "pool2d", shapes: [shape], reason: "is smaller than the \(p.kernel) window")
        }
        let result = try device.backend.pool2d(storage, shape: shape, p)
        return Tensor(storage: result, shape: [shape[0], shape[1], oh, ow], device: device).recorded("pool2d", [self]) { _, _ in
            throw TensorError.invalidArgument(op: "pool2d", reason: "has no gradient (it is for inference only)")
        }
    }

    /// `F.max_pool2d(x, kernel, stride, padding)`.
    public func maxPool2d(kernel: Int, stride: Int, padding: Int = 0) throws -> Tensor {
        try pool2d(Pool2dParameters(.max, kernel: (kernel, kernel), stride: (stride, stride), padding: (padding, padding)))
    }

    /// `F.avg_pool2d(x, kernel, stride, padding, count_include_pad=countIncludesPadding)`.
    public func avgPool2d(kernel: Int, stride: Int, padding: Int = 0, countIncludesPadding: Bool = true) throws -> Tensor {
        try pool2d(Pool2dParameters(.average, kernel: (kernel, kernel), stride: (stride, stride), padding: (padding, padding),
                                    countIncludesPadding: countIncludesPadding))
    }
}
