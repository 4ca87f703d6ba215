extension ReferenceBackend {
    public func pool2d(_ x: Storage, shape: [Int], _ p: Pool2dParameters) throws -> Storage {
        let xv = values(x)
        let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
        let (oh, ow) = p.outputSize(height: h, width: w)
        var out = [Double](repeating: 0, count: planes * oh * ow)
        for plane in 0..<planes {
            for oy in 0..<oh {
                let rows = Pool2dParameters.window(oy, kernel: p.kernel.y, stride: p.stride.y, padding: p.padding.y, size: h)
                for ox in 0..<ow {
                    let columns = Pool2dParameters.window(ox, kernel: p.kernel.x, stride: p.stride.x, padding: p.padding.x, size: w)
                    var value = p.kind == .max ? -Double.infinity : 0
                    for y in rows {
                        for x in columns {
                            let v = xv[(plane * h + y) * w + x]
                            value = p.kind == .max ? Swift.max(value, v) : value + v
                        }
                    }
                    if p.kind == .average {
                        value /= Double(p.countIncludesPadding ? p.kernel.y * p.kernel.x : rows.count * columns.count)
                    }
                    out[(plane * oh + oy) * ow + ox] = value
                }
            }
        }
        return ReferenceStorage(out, dtype: x.dtype)
    }
}
