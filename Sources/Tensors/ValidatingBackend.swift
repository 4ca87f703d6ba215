import Foundation

/// A backend that trusts nothing: every op runs on `device`, and again on the CPU reference
/// backend with the same inputs (read back from the device), and the first op whose results differ
/// by more than its tolerance stops the computation with `TensorError.validationFailed`, naming the
/// op, its shapes and the largest difference. Each op is checked on its own inputs, so differences
/// do not accumulate along a network. This is what a user with a new GPU driver runs to trust it
/// (`--validate`, `SGAN_VALIDATE_WITH_CPU=1`); it is slow, as it reads every result back.
public final class ValidatingBackend: Backend {
    /// The backend under test.
    public let device: Backend
    let reference = ReferenceBackend()
    public let name: String

    public init(device: Backend) {
        self.device = device
        name = "\(device.name), each op validated against the CPU reference"
    }

    /// The largest difference an op may show, against `absolute + relative · max|reference|` over
    /// the whole result: elementwise ops are exact up to rounding; products, convolutions and
    /// reductions add many terms in another order.
    struct Tolerance {
        var absolute: Double
        var relative: Double
        static let elementwise = Tolerance(absolute: 1e-6, relative: 1e-5)
        static let accumulation = Tolerance(absolute: 1e-5, relative: 2e-4)
    }

    /// The reference's copy of a device storage.
    func mirror(_ storage: Storage) throws -> Storage {
        try reference.upload(device.download(storage), dtype: storage.dtype)
    }

    /// Throws unless `deviceResult` and `referenceResult` agree within `tolerance`.
    func compare(_ op: String, shapes: [[Int]], _ deviceResult: Storage, _ referenceResult: Storage, _ tolerance: Tolerance) throws {
        let got = try device.download(deviceResult), expected = try reference.download(referenceResult)
        guard got.count == expected.count else {
            throw TensorError.validationFailed(op: op, device: device.name, shapes: shapes, maxDifference: .infinity, tolerance: 0, index: 0)
        }
        var peak = 0.0
        for value in expected where value.isFinite { peak = Swift.max(peak, Double(Swift.abs(value))) }
        let allowed = tolerance.absolute + tolerance.relative * peak
        var worst = (difference: 0.0, index: -1)
        for i in got.indices {
            let (a, b) = (Double(got[i]), Double(expected[i]))
            let difference: Double
            if a.isNaN || b.isNaN {
                difference = a.isNaN && b.isNaN ? 0 : .infinity
            } else if a.isInfinite || b.isInfinite {
                difference = a == b ? 0 : .infinity
            } else {
                difference = Swift.abs(a - b)
            }
            if difference > worst.difference { worst = (difference, i) }
        }
        if worst.difference > allowed {
            throw TensorError.validationFailed(op: op, device: device.name, shapes: shapes, maxDifference: worst.difference,
                                               tolerance: allowed, index: worst.index)
        }
    }

    /// `onDevice()`, checked against `onReference()` (which reads the device's inputs through `mirror`).
    func checked(_ op: String, shapes: [[Int]], _ tolerance: Tolerance, _ onDevice: () throws -> Storage,
                 against onReference: () throws -> Storage) throws -> Storage {
        let out = try onDevice()
        try compare(op, shapes: shapes, out, onReference(), tolerance)
        return out
    }

    // MARK: Data

    public func upload(_ values: [Float], dtype: DType) throws -> Storage { try device.upload(values, dtype: dtype) }
    public func upload(_ values: [Double], dtype: DType) throws -> Storage { try device.upload(values, dtype: dtype) }
    public func download(_ storage: Storage) throws -> [Float] { try device.download(storage) }
    public func downloadDoubles(_ storage: Storage) throws -> [Double] { try device.downloadDoubles(storage) }
    public func allocate(count: Int, dtype: DType) throws -> Storage { try device.allocate(count: count, dtype: dtype) }
    public func synchronize() throws { try device.synchronize() }
    public func marker() throws -> (any QueueMarker)? { try device.marker() }
    public var statistics: BackendStatistics { device.statistics }
    public var memoryBytes: Int? { device.memoryBytes }

    public func fill(_ value: Double, count: Int, dtype: DType) throws -> Storage {
        try checked("fill", shapes: [[count]], .elementwise, { try device.fill(value, count: count, dtype: dtype) },
                    against: { try reference.fill(value, count: count, dtype: dtype) })
    }

    // MARK: Ops

    public func unary(_ op: UnaryOp, _ x: Storage, p0: Double, p1: Double) throws -> Storage {
        try checked("unary \(op)", shapes: [[x.count]], .elementwise, { try device.unary(op, x, p0: p0, p1: p1) },
                    against: { try reference.unary(op, mirror(x), p0: p0, p1: p1) })
    }

    public func binary(_ op: BinaryOp, _ a: Storage, strides aStrides: [Int], _ b: Storage, strides bStrides: [Int],
                       shape: [Int]) throws -> Storage {
        try checked("binary \(op)", shapes: [shape], .elementwise, { try device.binary(op, a, strides: aStrides, b, strides: bStrides, shape: shape) },
                    against: { try reference.binary(op, mirror(a), strides: aStrides, mirror(b), strides: bStrides, shape: shape) })
    }

    public func reduce(_ op: ReduceOp, _ x: Storage, shape: [Int], axes: [Int], scale: Double) throws -> Storage {
        try checked("reduce \(op) over axes \(axes)", shapes: [shape], .accumulation, { try device.reduce(op, x, shape: shape, axes: axes, scale: scale) },
                    against: { try reference.reduce(op, mirror(x), shape: shape, axes: axes, scale: scale) })
    }

    public func copy(_ x: Storage, offset: Int, strides: [Int], shape: [Int],
                     into out: Storage, outOffset: Int, outStrides: [Int]) throws {
        let expected = try mirror(out)
        try reference.copy(mirror(x), offset: offset, strides: strides, shape: shape, into: expected, outOffset: outOffset, outStrides: outStrides)
        try device.copy(x, offset: offset, strides: strides, shape: shape, into: out, outOffset: outOffset, outStrides: outStrides)
        try compare("copy", shapes: [shape], out, expected, .elementwise)
    }

    public func matmul(_ a: Storage, _ aLayout: MatrixLayout, _ b: Storage, _ bLayout: MatrixLayout,
                       batch: Int, m: Int, n: Int, k: Int) throws -> Storage {
        try checked("matmul", shapes: [[batch, m, k], [batch, k, n]], .accumulation, { try device.matmul(a, aLayout, b, bLayout, batch: batch, m: m, n: n, k: k) },
                    against: { try reference.matmul(mirror(a), aLayout, mirror(b), bLayout, batch: batch, m: m, n: n, k: k) })
    }

    public func conv2d(_ x: Storage, shape xShape: [Int], _ w: Storage, shape wShape: [Int],
                       _ parameters: Conv2dParameters) throws -> Storage {
        try checked("conv2d", shapes: [xShape, wShape], .accumulation, { try device.conv2d(x, shape: xShape, w, shape: wShape, parameters) },
                    against: { try reference.conv2d(mirror(x), shape: xShape, mirror(w), shape: wShape, parameters) })
    }

    public func conv2dBackwardInput(_ g: Storage, shape gShape: [Int], _ w: Storage, shape wShape: [Int],
                                    _ parameters: Conv2dParameters, inputShape: [Int]) throws -> Storage {
        try checked("conv2d input gradient", shapes: [gShape, wShape], .accumulation, { try device.conv2dBackwardInput(g, shape: gShape, w, shape: wShape, parameters, inputShape: inputShape) },
                    against: { try reference.conv2dBackwardInput(mirror(g), shape: gShape, mirror(w), shape: wShape, parameters, inputShape: inputShape) })
    }

    public func conv2dBackwardWeight(_ x: Storage, shape xShape: [Int], _ g: Storage, shape gShape: [Int],
                                     _ parameters: Conv2dParameters, weightShape: [Int]) throws -> Storage {
        try checked("conv2d weight gradient", shapes: [xShape, gShape], .accumulation, { try device.conv2dBackwardWeight(x, shape: xShape, g, shape: gShape, parameters, weightShape: weightShape) },
                    against: { try reference.conv2dBackwardWeight(mirror(x), shape: xShape, mirror(g), shape: gShape, parameters, weightShape: weightShape) })
    }

    public func biasAct(_ x: Storage, shape: [Int], bias: Storage?, _ parameters: BiasActParameters) throws -> Storage {
        try checked("bias_act (\(parameters.activation))", shapes: [shape], .elementwise, { try device.biasAct(x, shape: shape, bias: bias, parameters) },
                    against: { try reference.biasAct(mirror(x), shape: shape, bias: bias.map(mirror), parameters) })
    }

    public func biasActGrad(_ dy: Storage, output y: Storage, _ parameters: BiasActParameters) throws -> Storage {
        try checked("bias_act gradient (\(parameters.activation))", shapes: [[dy.count]], .elementwise, { try device.biasActGrad(dy, output: y, parameters) },
                    against: { try reference.biasActGrad(mirror(dy), output: mirror(y), parameters) })
    }

    public func upfirdn2d(_ x: Storage, shape: [Int], filter: Storage, filterShape: [Int],
                          _ parameters: UpFirDn2dParameters) throws -> Storage {
        try checked("upfirdn2d", shapes: [shape, filterShape], .accumulation, { try device.upfirdn2d(x, shape: shape, filter: filter, filterShape: filterShape, parameters) },
                    against: { try reference.upfirdn2d(mirror(x), shape: shape, filter: mirror(filter), filterShape: filterShape, parameters) })
    }

    public func upfirdn2dAdjoint(_ dy: Storage, shape: [Int], filter: Storage, filterShape: [Int],
                                 _ parameters: UpFirDn2dParameters, inputShape: [Int]) throws -> Storage {
        try checked("upfirdn2d gradient", shapes: [shape, filterShape], .accumulation,
                    { try device.upfirdn2dAdjoint(dy, shape: shape, filter: filter, filterShape: filterShape, parameters, inputShape: inputShape) },
                    against: { try reference.upfirdn2dAdjoint(mirror(dy), shape: shape, filter: mirror(filter), filterShape: filterShape,
                                                              parameters, inputShape: inputShape) })
    }

    public func padReflect(_ x: Storage, shape: [Int], padding: Padding2d) throws -> Storage {
        try checked("pad reflect", shapes: [shape], .elementwise, { try device.padReflect(x, shape: shape, padding: padding) },
                    against: { try reference.padReflect(mirror(x), shape: shape, padding: padding) })
    }

    public func padReflectAdjoint(_ dy: Storage, shape: [Int], padding: Padding2d, inputShape: [Int]) throws -> Storage {
        try checked("pad reflect gradient", shapes: [shape], .accumulation,
                    { try device.padReflectAdjoint(dy, shape: shape, padding: padding, inputShape: inputShape) },
                    against: { try reference.padReflectAdjoint(mirror(dy), shape: shape, padding: padding, inputShape: inputShape) })
    }

    public func affineGridSample(_ x: Storage, shape: [Int], theta: Storage, outputSize: (height: Int, width: Int)) throws -> Storage {
        try checked("affine grid sample", shapes: [shape], .accumulation,
                    { try device.affineGridSample(x, shape: shape, theta: theta, outputSize: outputSize) },
                    against: { try reference.affineGridSample(mirror(x), shape: shape, theta: mirror(theta), outputSize: outputSize) })
    }

    public func affineGridSampleAdjoint(_ dy: Storage, shape: [Int], theta: Storage, inputShape: [Int]) throws -> Storage {
        try checked("affine grid sample gradient", shapes: [shape, inputShape], .accumulation,
                    { try device.affineGridSampleAdjoint(dy, shape: shape, theta: theta, inputShape: inputShape) },
                    against: { try reference.affineGridSampleAdjoint(mirror(dy), shape: shape, theta: mirror(theta), inputShape: inputShape) })
    }

    public func colorMatrix(_ x: Storage, shape: [Int], matrix: Storage) throws -> Storage {
        try checked("color matrix", shapes: [shape], .accumulation, { try device.colorMatrix(x, shape: shape, matrix: matrix) },
                    against: { try reference.colorMatrix(mirror(x), shape: shape, matrix: mirror(matrix)) })
    }

    public func sampleFIR(_ x: Storage, shape: [Int], taps: Storage, tapCount: Int, axis: Int) throws -> Storage {
        try checked("sample fir", shapes: [shape], .accumulation,
                    { try device.sampleFIR(x, shape: shape, taps: taps, tapCount: tapCount, axis: axis) },
                    against: { try reference.sampleFIR(mirror(x), shape: shape, taps: mirror(taps), tapCount: tapCount, axis: axis) })
    }

    public func sampleFIRAdjoint(_ dy: Storage, shape: [Int], taps: Storage, tapCount: Int, axis: Int, inputShape: [Int]) throws -> Storage {
        try checked("sample fir gradient", shapes: [shape], .accumulation,
                    { try device.sampleFIRAdjoint(dy, shape: shape, taps: taps, tapCount: tapCount, axis: axis, inputShape: inputShape) },
                    against: { try reference.sampleFIRAdjoint(mirror(dy), shape: shape, taps: mirror(taps), tapCount: tapCount, axis: axis,
                                                               inputShape: inputShape) })
    }

    public func pool2d(_ x: Storage, shape: [Int], _ parameters: Pool2dParameters) throws -> Storage {
        try checked("\(parameters.kind.rawValue) pool2d", shapes: [shape], .accumulation, { try device.pool2d(x, shape: shape, parameters) },
                    against: { try reference.pool2d(mirror(x), shape: shape, parameters) })
    }

    public func randomNormal(count: Int, seed: UInt64, offset: UInt64, dtype: DType) throws -> Storage {
        try checked("random normal", shapes: [[count]], .elementwise, { try device.randomNormal(count: count, seed: seed, offset: offset, dtype: dtype) },
                    against: { try reference.randomNormal(count: count, seed: seed, offset: offset, dtype: dtype) })
    }

    public func adamStep(parameter: Storage, gradient: Storage, m: Storage, v: Storage, _ step: AdamStep) throws {
        let (p, g, mm, vv) = (try mirror(parameter), try mirror(gradient), try mirror(m), try mirror(v))
        try reference.adamStep(parameter: p, gradient: g, m: mm, v: vv, step)
        try device.adamStep(parameter: parameter, gradient: gradient, m: m, v: v, step)
        for (part, expected, got) in [("parameter", p, parameter), ("m", mm, m), ("v", vv, v)] {
            try compare("adam (\(part))", shapes: [[parameter.count]], got, expected, .elementwise)
        }
    }
}
