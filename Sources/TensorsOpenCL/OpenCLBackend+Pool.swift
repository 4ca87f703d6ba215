import OpenCLRuntime
import Tensors

extension OpenCLBackend {
    static let poolFile = "pool.cl"

    public func pool2d(_ x: Storage, shape: [Int], _ p: Pool2dParameters) throws -> Storage {
        let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
        let (oh, ow) = p.outputSize(height: h, width: w)
        let out = try allocate(count: planes * oh * ow, dtype: x.dtype)
        var arguments: [KernelArg] = [
            .buffer(storage(out).mem), .buffer(storage(x).mem), .i(planes), .i(h), .i(w),
            .i(p.kernel.y), .i(p.kernel.x), .i(p.stride.y), .i(p.stride.x), .i(p.padding.y), .i(p.padding.x), .i(oh), .i(ow),
        ]
        let name: String
        switch p.kind {
        case .max: name = "max_pool2d_f32"
        case .average:
            name = "avg_pool2d_f32"
            arguments.append(.i(p.countIncludesPadding ? 1 : 0))
        }
        try runtime.launch(try runtime.kernel(name, file: Self.poolFile), global: [planes * oh * ow], arguments)
        return out
    }
}
