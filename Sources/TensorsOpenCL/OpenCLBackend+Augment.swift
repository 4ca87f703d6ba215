import OpenCLRuntime
import Tensors

extension OpenCLBackend {
    static let augmentFile = "augment.cl"

    public func padReflect(_ x: Storage, shape: [Int], padding p: Padding2d) throws -> Storage {
        let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
        let (oh, ow) = (h + p.y0 + p.y1, w + p.x0 + p.x1)
        let out = try allocate(count: planes * oh * ow, dtype: x.dtype)
        try padReflectF32(adjoint: false, global: [planes * oh * ow], out: storage(out).mem, x: storage(x).mem, planes: planes,
                          h: h, w: w, padY0: p.y0, padX0: p.x0, oh: oh, ow: ow)
        return out
    }

    public func padReflectAdjoint(_ dy: Storage, shape: [Int], padding p: Padding2d, inputShape: [Int]) throws -> Storage {
        let (planes, h, w) = (inputShape[0] * inputShape[1], inputShape[2], inputShape[3])
        let dx = try allocate(count: planes * h * w, dtype: dy.dtype)
        try padReflectF32(adjoint: true, global: [planes * h * w], out: storage(dx).mem, x: storage(dy).mem, planes: planes,
                          h: h, w: w, padY0: p.y0, padX0: p.x0, oh: shape[2], ow: shape[3])
        return dx
    }

    public func affineGridSample(_ x: Storage, shape: [Int], theta: Storage, outputSize: (height: Int, width: Int)) throws -> Storage {
        let count = shape[0] * shape[1] * outputSize.height * outputSize.width
        let out = try allocate(count: count, dtype: x.dtype)
        try affineGridSampleF32(adjoint: false, global: [count], out: storage(out).mem, x: storage(x).mem, theta: storage(theta).mem,
                                n: shape[0], c: shape[1], h: shape[2], w: shape[3], oh: outputSize.height, ow: outputSize.width)
        return out
    }

    public func affineGridSampleAdjoint(_ dy: Storage, shape: [Int], theta: Storage, inputShape: [Int]) throws -> Storage {
        let dx = try allocate(count: Shape.count(inputShape), dtype: dy.dtype)
        try affineGridSampleF32(adjoint: true, global: [inputShape[0] * inputShape[2] * inputShape[3]], out: storage(dx).mem, x: storage(dy).mem,
                                theta: storage(theta).mem, n: inputShape[0], c: inputShape[1], h: inputShape[2], w: inputShape[3],
                                oh: shape[2], ow: shape[3])
        return dx
    }

    public func colorMatrix(_ x: Storage, shape: [Int], matrix: Storage) throws -> Storage {
        let out = try allocate(count: x.count, dtype: x.dtype)
        let hw = shape[2] * shape[3]
        try colorMatrixF32(global: [shape[0] * hw], out: storage(out).mem, x: storage(x).mem, m: storage(matrix).mem,
                           n: shape[0], c: shape[1], hw: hw)
        return out
    }

    public func sampleFIR(_ x: Storage, shape: [Int], taps: Storage, tapCount: Int, axis: Int) throws -> Storage {
        var outShape = shape
        outShape[axis] -= tapCount - 1
        let out = try allocate(count: Shape.count(outShape), dtype: x.dtype)
        try sampleFIRF32(adjoint: false, global: [Shape.count(outShape)], out: storage(out).mem, x: storage(x).mem, f: storage(taps).mem,
                         inputShape: shape, t: tapCount, oh: outShape[2], ow: outShape[3], axis: axis)
        return out
    }

    public func sampleFIRAdjoint(_ dy: Storage, shape: [Int], taps: Storage, tapCount: Int, axis: Int, inputShape: [Int]) throws -> Storage {
        let dx = try allocate(count: Shape.count(inputShape), dtype: dy.dtype)
        try sampleFIRF32(adjoint: true, global: [Shape.count(inputShape)], out: storage(dx).mem, x: storage(dy).mem, f: storage(taps).mem,
                         inputShape: inputShape, t: tapCount, oh: shape[2], ow: shape[3], axis: axis)
        return dx
    }
}
