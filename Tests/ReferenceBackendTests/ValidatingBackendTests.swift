import Foundation
import Testing
@testable import Tensors

/// The reference backend with one deliberately wrong op: bias_act's result off by 1%.
final class WrongBiasActBackend: Backend {
    let inner = ReferenceBackend()
    let name = "wrong bias_act (test)"
    func upload(_ values: [Float], dtype: DType) throws -> Storage { try inner.upload(values, dtype: dtype) }
    func download(_ storage: Storage) throws -> [Float] { try inner.download(storage) }
    func fill(_ value: Double, count: Int, dtype: DType) throws -> Storage { try inner.fill(value, count: count, dtype: dtype) }
    func unary(_ op: UnaryOp, _ x: Storage, p0: Double, p1: Double) throws -> Storage { try inner.unary(op, x, p0: p0, p1: p1) }
    func binary(_ op: BinaryOp, _ a: Storage, strides aStrides: [Int], _ b: Storage, strides bStrides: [Int], shape: [Int]) throws -> Storage {
        try inner.binary(op, a, strides: aStrides, b, strides: bStrides, shape: shape)
    }
    func reduce(_ op: ReduceOp, _ x: Storage, shape: [Int], axes: [Int], scale: Double) throws -> Storage {
        try inner.reduce(op, x, shape: shape, axes: axes, scale: scale)
    }
    func allocate(count: Int, dtype: DType) throws -> Storage { try inner.allocate(count: count, dtype: dtype) }
    func copy(_ x: Storage, offset: Int, strides: [Int], shape: [Int], into out: Storage, outOffset: Int, outStrides: [Int]) throws {
        try inner.copy(x, offset: offset, strides: strides, shape: shape, into: out, outOffset: outOffset, outStrides: outStrides)
    }
    func matmul(_ a: Storage, _ aLayout: MatrixLayout, _ b: Storage, _ bLayout: MatrixLayout, batch: Int, m: Int, n: Int, k: Int) throws -> Storage {
        try inner.matmul(a, aLayout, b, bLayout, batch: batch, m: m, n: n, k: k)
    }
    func conv2d(_ x: Storage, shape xShape: [Int], _ w: Storage, shape wShape: [Int], _ parameters: Conv2dParameters) throws -> Storage {
        try inner.conv2d(x, shape: xShape, w, shape: wShape, parameters)
    }
    func conv2dBackwardInput(_ g: Storage, shape gShape: [Int], _ w: Storage, shape wShape: [Int], _ parameters: Conv2dParameters, inputShape: [Int]) throws -> Storage {
        try inner.conv2dBackwardInput(g, shape: gShape, w, shape: wShape, parameters, inputShape: inputShape)
    }
    func conv2dBackwardWeight(_ x: Storage, shape xShape: [Int], _ g: Storage, shape gShape: [Int], _ parameters: Conv2dParameters, weightShape: [Int]) throws -> Storage {
        try inner.conv2dBackwardWeight(x, shape: xShape, g, shape: gShape, parameters, weightShape: weightShape)
    }
    func biasAct(_ x: Storage, shape: [Int], bias: Storage?, _ parameters: BiasActParameters) throws -> Storage {
        let right = try inner.biasAct(x, shape: shape, bias: bias, parameters)
        return try inner.upload(inner.download(right).map { $0 * 1.01 }, dtype: right.dtype)
    }
    func biasActGrad(_ dy: Storage, output y: Storage, _ parameters: BiasActParameters) throws -> Storage {
        try inner.biasActGrad(dy, output: y, parameters)
    }
    func upfirdn2d(_ x: Storage, shape: [Int], filter: Storage, filterShape: [Int], _ parameters: UpFirDn2dParameters) throws -> Storage {
        try inner.upfirdn2d(x, shape: shape, filter: filter, filterShape: filterShape, parameters)
    }
    func upfirdn2dAdjoint(_ dy: Storage, shape: [Int], filter: Storage, filterShape: [Int], _ parameters: UpFirDn2dParameters, inputShape: [Int]) throws -> Storage {
        try inner.upfirdn2dAdjoint(dy, shape: shape, filter: filter, filterShape: filterShape, parameters, inputShape: inputShape)
    }
    func padReflect(_ x: Storage, shape: [Int], padding: Padding2d) throws -> Storage {
        try inner.padReflect(x, shape: shape, padding: padding)
    }
    func padReflectAdjoint(_ dy: Storage, shape: [Int], padding: Padding2d, inputShape: [Int]) throws -> Storage {
        try inner.padReflectAdjoint(dy, shape: shape, padding: padding, inputShape: inputShape)
    }
    func affineGridSample(_ x: Storage, shape: [Int], theta: Storage, outputSize: (height: Int, width: Int)) throws -> Storage {
        try inner.affineGridSample(x, shape: shape, theta: theta, outputSize: outputSize)
    }
    func affineGridSampleAdjoint(_ dy: Storage, shape: [Int], theta: Storage, inputShape: [Int]) throws -> Storage {
        try inner.affineGridSampleAdjoint(dy, shape: shape, theta: theta, inputShape: inputShape)
    }
    func colorMatrix(_ x: Storage, shape: [Int], matrix: Storage) throws -> Storage {
        try inner.colorMatrix(x, shape: shape, matrix: matrix)
    }
    func sampleFIR(_ x: Storage, shape: [Int], taps: Storage, tapCount: Int, axis: Int) throws -> Storage {
        try inner.sampleFIR(x, shape: shape, taps: taps, tapCount: tapCount, axis: axis)
    }
    func sampleFIRAdjoint(_ dy: Storage, shape: [Int], taps: Storage, tapCount: Int, axis: Int, inputShape: [Int]) throws -> Storage {
        try inner.sampleFIRAdjoint(dy, shape: shape, taps: taps, tapCount: tapCount, axis: axis, inputShape: inputShape)
    }
    func pool2d(_ x: Storage, shape: [Int], _ parameters: Pool2dParameters) throws -> Storage {
        try inner.pool2d(x, shape: shape, parameters)
    }
    func randomNormal(count: Int, seed: UInt64, offset: UInt64, dtype: DType) throws -> Storage {
        try inner.randomNormal(count: count, seed: seed, offset: offset, dtype: dtype)
    }
    func adamStep(parameter: Storage, gradient: Storage, m: Storage, v: Storage, _ step: AdamStep) throws {
        try inner.adamStep(parameter: parameter, gradient: gradient, m: m, v: v, step)
    }
    func synchronize() throws {}
}

@Suite struct ValidatingBackendTests {
    /// A correct backend passes through unchanged; a wrong op is stopped and named, with its shapes.
    @Test func catchesAWrongOpAndNamesIt() throws {
        let right = Device.validating(.cpu)
        let x = try Tensor.uniform([2, 3, 4, 4], seed: 1).to(right), b = try Tensor.uniform([3], seed: 2).to(right)
        let y = try x.biasAct(bias: b, BiasActParameters(.lrelu))
        #expect(try y.toArray() == (try Tensor.uniform([2, 3, 4, 4], seed: 1).biasAct(bias: Tensor.uniform([3], seed: 2), BiasActParameters(.lrelu)).toArray()))

        let wrong = Device.validating(Device(backend: WrongBiasActBackend(), spec: "wrong"))
        let (xw, bw) = (try x.to(wrong), try b.to(wrong))
        _ = try (xw * 2.0).sum()   // other ops pass
        #expect { try xw.biasAct(bias: bw, BiasActParameters(.lrelu)) } throws: { error in
            guard case TensorError.validationFailed(let op, _, let shapes, let difference, let tolerance, _) = error else { return false }
            return op.hasPrefix("bias_act") && shapes == [[2, 3, 4, 4]] && difference > tolerance
        }
    }
}
