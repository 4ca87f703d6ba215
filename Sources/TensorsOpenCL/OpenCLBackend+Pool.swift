import OpenCLRuntime
import Tensors

extension OpenCLBackend {
    static let poolFile = "pool.cl"

    public func pool2d(_ x: Storage, shape: [Int], _ p: Pool2dParameters) throws -> Storage {
        let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
        let (oh, ow) = p.outputSize(height: h, width: w)
        let out = try allocate(count: planes * oh * ow, dtype: x.dtype)
        try pool2dF32(p, out: storage(out).mem, x: storage(x).mem, planes: planes, h: h, w: w, oh: oh, ow: ow)
        return out
    }
}
