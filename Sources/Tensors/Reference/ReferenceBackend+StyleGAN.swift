import Foundation

extension ReferenceBackend {
    public func biasAct(_ x: Storage, shape: [Int], bias: Storage?, _ p: BiasActParameters) throws -> Storage {
        let xv = values(x), bv = bias.map(values)
        let channels = shape[1], plane = Shape.count(Array(shape.dropFirst(2)))
        let out = xv.indices.map { i in p.apply(xv[i] + (bv?[(i / plane) % channels] ?? 0)) }
        return ReferenceStorage(out, dtype: x.dtype)
    }

    public func biasActGrad(_ dy: Storage, output y: Storage, _ p: BiasActParameters) throws -> Storage {
        let dyv = values(dy), yv = values(y)
        return ReferenceStorage(dyv.indices.map { dyv[$0] * p.slope(output: yv[$0]) }, dtype: dy.dtype)
    }

    /// Calls `body(outputIndex, inputIndex, filterValue)` for every product of upfirdn2d.
    func forEachTap(input shape: [Int], filterShape: [Int], _ filter: [Double], _ p: UpFirDn2dParameters,
                    _ body: (Int, Int, Double) -> Void) {
        let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
        let (fh, fw) = (filterShape[0], filterShape[1])
        let (oh, ow) = p.outputSize(height: h, width: w, filterHeight: fh, filterWidth: fw)
        for plane in 0..<planes {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for ky in 0..<fh {
                        let uy = oy * p.down.y + ky - p.padding.y0
                        guard uy >= 0, uy < h * p.up.y, uy % p.up.y == 0 else { continue }
                        for kx in 0..<fw {
                            let ux = ox * p.down.x + kx - p.padding.x0
                            guard ux >= 0, ux < w * p.up.x, ux % p.up.x == 0 else { continue }
                            body((plane * oh + oy) * ow + ox, (plane * h + uy / p.up.y) * w + ux / p.up.x,
                                 filter[(fh - 1 - ky) * fw + (fw - 1 - kx)] * p.gain)
                        }
                    }
                }
            }
        }
    }

    public func upfirdn2d(_ x: Storage, shape: [Int], filter: Storage, filterShape: [Int],
                          _ p: UpFirDn2dParameters) throws -> Storage {
        let xv = values(x)
        let (oh, ow) = p.outputSize(height: shape[2], width: shape[3], filterHeight: filterShape[0], filterWidth: filterShape[1])
        var out = [Double](repeating: 0, count: shape[0] * shape[1] * oh * ow)
        forEachTap(input: shape, filterShape: filterShape, values(filter), p) { o, i, f in out[o] += f * xv[i] }
        return ReferenceStorage(out, dtype: x.dtype)
    }

    public func upfirdn2dAdjoint(_ dy: Storage, shape: [Int], filter: Storage, filterShape: [Int],
                                 _ p: UpFirDn2dParameters, inputShape: [Int]) throws -> Storage {
        let dyv = values(dy)
        var dx = [Double](repeating: 0, count: Shape.count(inputShape))
        forEachTap(input: inputShape, filterShape: filterShape, values(filter), p) { o, i, f in dx[i] += f * dyv[o] }
        return ReferenceStorage(dx, dtype: dy.dtype)
    }

    public func randomNormal(count: Int, seed: UInt64, offset: UInt64, dtype: DType) throws -> Storage {
        var out = [Double](repeating: 0, count: count)
        for block in 0..<((count + 3) / 4) {
            let counter = offset &+ UInt64(block)
            let bits = Philox.block(counter: (UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32), 0, 0),
                                    key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
            let normals = Philox.boxMuller(bits)
            for k in 0..<4 where 4 * block + k < count { out[4 * block + k] = normals[k] }
        }
        return ReferenceStorage(out, dtype: dtype)
    }

    public func adamStep(parameter: Storage, gradient: Storage, m: Storage, v: Storage, _ step: AdamStep) throws {
        guard let p = parameter as? ReferenceStorage, let m = m as? ReferenceStorage, let v = v as? ReferenceStorage else {
            preconditionFailure("adamStep given storage of another backend")
        }
        let g = values(gradient)
        let (c1, c2) = step.corrections
        for i in g.indices {
            let mi = p.dtype.round(step.beta1 * m.values[i] + (1 - step.beta1) * g[i])
            let vi = p.dtype.round(step.beta2 * v.values[i] + (1 - step.beta2) * g[i] * g[i])
            m.values[i] = mi
            v.values[i] = vi
            p.values[i] = p.dtype.round(p.values[i] - (step.learningRate / c1) * mi / (vi.squareRoot() / c2.squareRoot() + step.epsilon))
        }
    }
}

/// The Philox4x32-10 counter-based generator (Salmon et al., 2011), as `Kernels/random.cl` computes it.
enum Philox {
    static func block(counter: (UInt32, UInt32, UInt32, UInt32), key: (UInt32, UInt32)) -> [UInt32] {
        var c = counter
        var k = key
        for round in 0..<10 {
            if round > 0 {
                k.0 &+= 0x9E37_79B9
                k.1 &+= 0xBB67_AE85
            }
            let p0 = UInt64(0xD251_1F53) * UInt64(c.0), p1 = UInt64(0xCD9E_8D57) * UInt64(c.2)
            let (hi0, lo0) = (UInt32(p0 >> 32), UInt32(truncatingIfNeeded: p0))
            let (hi1, lo1) = (UInt32(p1 >> 32), UInt32(truncatingIfNeeded: p1))
            c = (hi1 ^ c.1 ^ k.0, lo1, hi0 ^ c.3 ^ k.1, lo0)
        }
        return [c.0, c.1, c.2, c.3]
    }

    /// A uniform value in (0, 1) from the top 23 bits, exactly as the kernel computes it in float.
    static func uniform(_ bits: UInt32) -> Double { (Double(bits >> 9) + 0.5) / 8_388_608 }

    /// Two Box–Muller pairs from four 32-bit words.
    static func boxMuller(_ bits: [UInt32]) -> [Double] {
        let r0 = (-2 * log(uniform(bits[0]))).squareRoot(), t0 = 2 * Double.pi * uniform(bits[1])
        let r1 = (-2 * log(uniform(bits[2]))).squareRoot(), t1 = 2 * Double.pi * uniform(bits[3])
        return [r0 * cos(t0), r0 * sin(t0), r1 * cos(t1), r1 * sin(t1)]
    }
}
