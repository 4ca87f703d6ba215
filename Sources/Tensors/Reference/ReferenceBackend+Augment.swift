import Foundation

extension ReferenceBackend {
    /// The input index that padded index `o` reads (torch's reflect padding).
    static func reflect(_ o: Int, pad0: Int, size: Int) -> Int {
        var j = Swift.abs(o - pad0)
        if j >= size { j = 2 * (size - 1) - j }
        return j
    }

    /// Calls `body(outputIndex, inputIndex)` for every element of the reflect-padded tensor.
    func forEachReflection(input shape: [Int], padding p: Padding2d, _ body: (Int, Int) -> Void) {
        let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
        let (oh, ow) = (h + p.y0 + p.y1, w + p.x0 + p.x1)
        for plane in 0..<planes {
            for oy in 0..<oh {
                let iy = Self.reflect(oy, pad0: p.y0, size: h)
                for ox in 0..<ow {
                    body((plane * oh + oy) * ow + ox, (plane * h + iy) * w + Self.reflect(ox, pad0: p.x0, size: w))
                }
            }
        }
    }

    public func padReflect(_ x: Storage, shape: [Int], padding: Padding2d) throws -> Storage {
        let xv = values(x)
        var out = [Double](repeating: 0, count: shape[0] * shape[1] * (shape[2] + padding.y0 + padding.y1) * (shape[3] + padding.x0 + padding.x1))
        forEachReflection(input: shape, padding: padding) { o, i in out[o] = xv[i] }
        return ReferenceStorage(out, dtype: x.dtype)
    }

    public func padReflectAdjoint(_ dy: Storage, shape: [Int], padding: Padding2d, inputShape: [Int]) throws -> Storage {
        let dyv = values(dy)
        var dx = [Double](repeating: 0, count: Shape.count(inputShape))
        forEachReflection(input: inputShape, padding: padding) { o, i in dx[i] += dyv[o] }
        return ReferenceStorage(dx, dtype: dy.dtype)
    }

    /// Calls `body(outputIndex, inputIndex, weight)` for every bilinear tap of the affine grid sample.
    func forEachGridTap(input shape: [Int], theta: [Double], outputSize: (height: Int, width: Int), _ body: (Int, Int, Double) -> Void) {
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let (oh, ow) = outputSize
        for sample in 0..<n {
            let t = Array(theta[(sample * 6)..<(sample * 6 + 6)])
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let bx = Double(2 * ox + 1) / Double(ow) - 1, by = Double(2 * oy + 1) / Double(oh) - 1
                    let gx = t[0] * bx + t[1] * by + t[2], gy = t[3] * bx + t[4] * by + t[5]
                    let sx = ((gx + 1) * Double(w) - 1) / 2, sy = ((gy + 1) * Double(h) - 1) / 2
                    let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
                    let wx = [Double(x0 + 1) - sx, sx - Double(x0)], wy = [Double(y0 + 1) - sy, sy - Double(y0)]
                    for a in 0..<2 where y0 + a >= 0 && y0 + a < h {
                        for b in 0..<2 where x0 + b >= 0 && x0 + b < w {
                            for channel in 0..<c {
                                let plane = sample * c + channel
                                body((plane * oh + oy) * ow + ox, (plane * h + y0 + a) * w + x0 + b, wx[b] * wy[a])
                            }
                        }
                    }
                }
            }
        }
    }

    public func affineGridSample(_ x: Storage, shape: [Int], theta: Storage, outputSize: (height: Int, width: Int)) throws -> Storage {
        let xv = values(x)
        var out = [Double](repeating: 0, count: shape[0] * shape[1] * outputSize.height * outputSize.width)
        forEachGridTap(input: shape, theta: values(theta), outputSize: outputSize) { o, i, weight in out[o] += weight * xv[i] }
        return ReferenceStorage(out, dtype: x.dtype)
    }

    public func affineGridSampleAdjoint(_ dy: Storage, shape: [Int], theta: Storage, inputShape: [Int]) throws -> Storage {
        let dyv = values(dy)
        var dx = [Double](repeating: 0, count: Shape.count(inputShape))
        forEachGridTap(input: inputShape, theta: values(theta), outputSize: (shape[2], shape[3])) { o, i, weight in dx[i] += weight * dyv[o] }
        return ReferenceStorage(dx, dtype: dy.dtype)
    }

    public func colorMatrix(_ x: Storage, shape: [Int], matrix: Storage) throws -> Storage {
        let xv = values(x), m = values(matrix)
        let (n, c) = (shape[0], shape[1]), hw = shape[2] * shape[3]
        var out = [Double](repeating: 0, count: xv.count)
        for sample in 0..<n {
            for row in 0..<c {
                let mr = (sample * c + row) * (c + 1)
                for j in 0..<hw {
                    var sum = m[mr + c]
                    for k in 0..<c { sum += m[mr + k] * xv[(sample * c + k) * hw + j] }
                    out[(sample * c + row) * hw + j] = sum
                }
            }
        }
        return ReferenceStorage(out, dtype: x.dtype)
    }

    /// Calls `body(outputIndex, inputIndex, tap)` for every product of the per-sample correlation.
    func forEachSampleTap(input shape: [Int], taps: [Double], tapCount: Int, axis: Int, _ body: (Int, Int, Double) -> Void) {
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let (oh, ow) = axis == 3 ? (h, w - tapCount + 1) : (h - tapCount + 1, w)
        for plane in 0..<(n * c) {
            let f = taps[(plane / c * tapCount)..<(plane / c * tapCount + tapCount)]
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for (t, tap) in f.enumerated() {
                        let (iy, ix) = axis == 3 ? (oy, ox + t) : (oy + t, ox)
                        body((plane * oh + oy) * ow + ox, (plane * h + iy) * w + ix, tap)
                    }
                }
            }
        }
    }

    public func sampleFIR(_ x: Storage, shape: [Int], taps: Storage, tapCount: Int, axis: Int) throws -> Storage {
        let xv = values(x)
        var outShape = shape
        outShape[axis] -= tapCount - 1
        var out = [Double](repeating: 0, count: Shape.count(outShape))
        forEachSampleTap(input: shape, taps: values(taps), tapCount: tapCount, axis: axis) { o, i, f in out[o] += f * xv[i] }
        return ReferenceStorage(out, dtype: x.dtype)
    }

    public func sampleFIRAdjoint(_ dy: Storage, shape: [Int], taps: Storage, tapCount: Int, axis: Int, inputShape: [Int]) throws -> Storage {
        let dyv = values(dy)
        var dx = [Double](repeating: 0, count: Shape.count(inputShape))
        forEachSampleTap(input: inputShape, taps: values(taps), tapCount: tapCount, axis: axis) { o, i, f in dx[i] += f * dyv[o] }
        return ReferenceStorage(dx, dtype: dy.dtype)
    }
}
