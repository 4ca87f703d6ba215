import Foundation

/// Elements of the reference backend: Doubles, each rounded to `dtype` when it is written.
public final class ReferenceStorage: Storage {
    public var values: [Double]
    public let dtype: DType
    public var count: Int { values.count }

    init(_ values: [Double], dtype: DType) {
        self.values = dtype == .float64 ? values : values.map(dtype.round)
        self.dtype = dtype
    }
}

/// The CPU reference backend: plain Swift, written to be obviously right rather than fast.
///
/// Every op computes in Double and rounds its result once to the storage type, so a float32
/// result is the correctly rounded value of the exact op (up to the Double arithmetic of long
/// sums). It is the oracle that every OpenCL kernel is checked against.
public final class ReferenceBackend: Backend {
    public let name = "cpu (reference)"

    public init() {}

    func values(_ storage: Storage) -> [Double] {
        guard let storage = storage as? ReferenceStorage else {
            preconditionFailure("reference backend given storage of another backend")
        }
        return storage.values
    }

    public func upload(_ values: [Float], dtype: DType) throws -> Storage {
        ReferenceStorage(values.map(Double.init), dtype: dtype)
    }

    public func upload(_ values: [Double], dtype: DType) throws -> Storage {
        ReferenceStorage(values, dtype: dtype)
    }

    public func download(_ storage: Storage) throws -> [Float] { values(storage).map { Float($0) } }

    public func downloadDoubles(_ storage: Storage) throws -> [Double] { values(storage) }

    public func fill(_ value: Double, count: Int, dtype: DType) throws -> Storage {
        ReferenceStorage([Double](repeating: value, count: count), dtype: dtype)
    }

    public func allocate(count: Int, dtype: DType) throws -> Storage {
        ReferenceStorage([Double](repeating: 0, count: count), dtype: dtype)
    }

    public func unary(_ op: UnaryOp, _ x: Storage, p0: Double, p1: Double) throws -> Storage {
        let f = op.definition.reference
        return ReferenceStorage(values(x).map { f($0, p0, p1) }, dtype: x.dtype)
    }

    public func binary(_ op: BinaryOp, _ a: Storage, strides aStrides: [Int], _ b: Storage, strides bStrides: [Int],
                       shape: [Int]) throws -> Storage {
        let f = op.definition.reference
        let av = values(a), bv = values(b)
        var out = [Double](repeating: 0, count: Shape.count(shape))
        for i in out.indices {
            let index = ReferenceBackend.unravel(i, shape)
            out[i] = f(av[ReferenceBackend.offset(index, aStrides)], bv[ReferenceBackend.offset(index, bStrides)])
        }
        return ReferenceStorage(out, dtype: a.dtype)
    }

    public func reduce(_ op: ReduceOp, _ x: Storage, shape: [Int], axes: [Int], scale: Double) throws -> Storage {
        let (_, _, combine, start) = op.definition
        let xv = values(x)
        let keptAxes = shape.indices.filter { !axes.contains($0) }
        let outShape = keptAxes.map { shape[$0] }
        var out = [Double](repeating: start, count: Shape.count(outShape))
        for i in xv.indices {
            let index = ReferenceBackend.unravel(i, shape)
            let o = ReferenceBackend.ravel(keptAxes.map { index[$0] }, outShape)
            out[o] = combine(out[o], xv[i])
        }
        return ReferenceStorage(out.map { $0 * scale }, dtype: x.dtype)
    }

    public func copy(_ x: Storage, offset: Int, strides: [Int], shape: [Int],
                     into out: Storage, outOffset: Int, outStrides: [Int]) throws {
        guard let out = out as? ReferenceStorage else { preconditionFailure("copy into storage of another backend") }
        let xv = values(x)
        for i in 0..<Shape.count(shape) {
            let index = ReferenceBackend.unravel(i, shape)
            out.values[outOffset + ReferenceBackend.offset(index, outStrides)] =
                out.dtype.round(xv[offset + ReferenceBackend.offset(index, strides)])
        }
    }

    public func matmul(_ a: Storage, _ aLayout: MatrixLayout, _ b: Storage, _ bLayout: MatrixLayout,
                       batch: Int, m: Int, n: Int, k: Int) throws -> Storage {
        let av = values(a), bv = values(b)
        var out = [Double](repeating: 0, count: batch * m * n)
        for bi in 0..<batch {
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0
                    for p in 0..<k {
                        let x = av[aLayout.offset + bi * aLayout.batchStride + i * aLayout.rowStride + p * aLayout.columnStride]
                        let y = bv[bLayout.offset + bi * bLayout.batchStride + p * bLayout.rowStride + j * bLayout.columnStride]
                        sum += x * y
                    }
                    out[(bi * m + i) * n + j] = sum
                }
            }
        }
        return ReferenceStorage(out, dtype: a.dtype)
    }

    public func conv2d(_ x: Storage, shape xShape: [Int], _ w: Storage, shape wShape: [Int],
                       _ p: Conv2dParameters) throws -> Storage {
        let xv = values(x), wv = values(w)
        let c = ConvGeometry(input: xShape, weight: wShape, p)
        var out = [Double](repeating: 0, count: c.batch * c.outChannels * c.oh * c.ow)
        c.forEachTap { o, i, wi in out[o] += xv[i] * wv[wi] }
        return ReferenceStorage(out, dtype: x.dtype)
    }

    public func conv2dBackwardInput(_ g: Storage, shape gShape: [Int], _ w: Storage, shape wShape: [Int],
                                    _ p: Conv2dParameters, inputShape: [Int]) throws -> Storage {
        let gv = values(g), wv = values(w)
        let c = ConvGeometry(input: inputShape, weight: wShape, p)
        var dx = [Double](repeating: 0, count: Shape.count(inputShape))
        c.forEachTap { o, i, wi in dx[i] += gv[o] * wv[wi] }
        return ReferenceStorage(dx, dtype: g.dtype)
    }

    public func conv2dBackwardWeight(_ x: Storage, shape xShape: [Int], _ g: Storage, shape gShape: [Int],
                                     _ p: Conv2dParameters, weightShape: [Int]) throws -> Storage {
        let xv = values(x), gv = values(g)
        let c = ConvGeometry(input: xShape, weight: weightShape, p)
        var dw = [Double](repeating: 0, count: Shape.count(weightShape))
        c.forEachTap { o, i, wi in dw[wi] += gv[o] * xv[i] }
        return ReferenceStorage(dw, dtype: x.dtype)
    }

    public func synchronize() throws {}

    // MARK: Index arithmetic

    static func unravel(_ index: Int, _ shape: [Int]) -> [Int] {
        var rest = index
        var out = [Int](repeating: 0, count: shape.count)
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            out[d] = rest % shape[d]
            rest /= shape[d]
        }
        return out
    }

    static func ravel(_ index: [Int], _ shape: [Int]) -> Int {
        var out = 0
        for d in shape.indices { out = out * shape[d] + index[d] }
        return out
    }

    static func offset(_ index: [Int], _ strides: [Int]) -> Int {
        var out = 0
        for d in index.indices { out += index[d] * strides[d] }
        return out
    }
}

/// Index arithmetic of a direct convolution, shared by the reference forward pass and both gradients.
extension ConvGeometry {
    /// Calls `body(outputIndex, inputIndex, weightIndex)` for every product of the convolution
    /// sum `out[n, o, y, x] += in[n, c, y·s − pad + ky, x·s − pad + kx] · w[o, c, ky, kx]`.
    func forEachTap(_ body: (Int, Int, Int) -> Void) {
        for n in 0..<batch {
            for o in 0..<outChannels {
                let group = o / outPerGroup
                for y in 0..<oh {
                    for x in 0..<ow {
                        let out = ((n * outChannels + o) * oh + y) * ow + x
                        for c in 0..<groupChannels {
                            let ci = group * groupChannels + c
                            for ky in 0..<kh {
                                let iy = y * p.stride.y - p.padding.y + ky
                                if iy < 0 || iy >= height { continue }
                                for kx in 0..<kw {
                                    let ix = x * p.stride.x - p.padding.x + kx
                                    if ix < 0 || ix >= width { continue }
                                    body(out, ((n * channels + ci) * height + iy) * width + ix,
                                         ((o * groupChannels + c) * kh + ky) * kw + kx)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
