import OpenCLRuntime
import Tensors

extension OpenCLBackend {
    static let biasActFile = "bias_act.cl"
    static let upfirdn2dFile = "upfirdn2d.cl"
    static let randomFile = "random.cl"
    static let adamFile = "adam.cl"

    public func biasAct(_ x: Storage, shape: [Int], bias: Storage?, _ p: BiasActParameters) throws -> Storage {
        let out = try allocate(count: x.count, dtype: x.dtype)
        let kernel = try runtime.kernel("bias_act_f32", file: Self.biasActFile, options: "-DACT(v,alpha)=\(p.activation.cl)")
        let planeSize = Shape.count(Array(shape.dropFirst(2)))
        try runtime.launch(
            kernel, global: [planeSize, planeSize == 0 ? 0 : x.count / planeSize],
            [.buffer(storage(out).mem), .buffer(storage(x).mem), .buffer(storage(bias ?? x).mem), .i(bias == nil ? 0 : 1),
             .i(shape[1]), .i(planeSize),
             .float(Float(p.alpha)), .float(Float(p.gain)), .float(Float(p.clamp ?? -1))])
        return out
    }

    public func biasActGrad(_ dy: Storage, output y: Storage, _ p: BiasActParameters) throws -> Storage {
        let out = try allocate(count: dy.count, dtype: dy.dtype)
        let kernel = try runtime.kernel("bias_act_grad_f32", file: Self.biasActFile, options: "-DSLOPE(y,alpha)=\(p.activation.slopeCL)")
        try runtime.launch(
            kernel, global: [dy.count],
            [.buffer(storage(out).mem), .buffer(storage(dy).mem), .buffer(storage(y).mem), .i(dy.count),
             .float(Float(p.alpha)), .float(Float(p.gain)),
             .float(Float(p.clamp ?? -1))])
        return out
    }

    /// The arguments that upfirdn2d_f32 and its adjoint share, after their two buffers.
    func upfirdn2dArguments(_ filter: Storage, filterShape: [Int], inputShape: [Int], _ p: UpFirDn2dParameters) -> [KernelArg] {
        let (oh, ow) = p.outputSize(height: inputShape[2], width: inputShape[3],
                                    filterHeight: filterShape[0], filterWidth: filterShape[1])
        return [.buffer(storage(filter).mem), .i(inputShape[0] * inputShape[1]), .i(inputShape[2]), .i(inputShape[3]),
                .i(p.padding.y0), .i(p.padding.x0), .i(oh), .i(ow), .float(Float(p.gain))]
    }

    /// The build options of upfirdn2d_f32 and its adjoint: filter size and factors as constants.
    func upfirdn2dOptions(filterShape: [Int], _ p: UpFirDn2dParameters) -> String {
        "-DFIR_H=\(filterShape[0]) -DFIR_W=\(filterShape[1]) -DUP_Y=\(p.up.y) -DUP_X=\(p.up.x) -DDOWN_Y=\(p.down.y) -DDOWN_X=\(p.down.x)"
    }

    /// `upfirdn2d_fir_f32`: the filter alone (up = down = 1), 16 outputs per work-item, compiled per
    /// filter size.
    func fir2d(into out: Storage, _ x: Storage, planes: Int, height: Int, width: Int, filter: Storage, filterShape: [Int],
               flip: Bool, pad: (y: Int, x: Int), outputSize: (height: Int, width: Int), gain: Double) throws {
        let kernel = try runtime.kernel(
            "upfirdn2d_fir_f32", file: Self.upfirdn2dFile,
            options: "-DFIR_H=\(filterShape[0]) -DFIR_W=\(filterShape[1]) -DFLIP=\(flip ? 1 : 0)")
        try runtime.launch(
            kernel, global: [(outputSize.width + 15) / 16, outputSize.height, planes],
            [.buffer(storage(out).mem), .buffer(storage(x).mem), .buffer(storage(filter).mem), .i(height), .i(width),
             .i(pad.y), .i(pad.x), .i(outputSize.height), .i(outputSize.width), .float(Float(gain))])
    }

    public func upfirdn2d(_ x: Storage, shape: [Int], filter: Storage, filterShape: [Int],
                          _ p: UpFirDn2dParameters) throws -> Storage {
        let (oh, ow) = p.outputSize(height: shape[2], width: shape[3], filterHeight: filterShape[0], filterWidth: filterShape[1])
        let count = shape[0] * shape[1] * oh * ow
        let out = try allocate(count: count, dtype: x.dtype)
        if p.up == (1, 1) && p.down == (1, 1) {
            try fir2d(into: out, x, planes: shape[0] * shape[1], height: shape[2], width: shape[3], filter: filter,
                      filterShape: filterShape, flip: true, pad: (p.padding.y0, p.padding.x0), outputSize: (oh, ow), gain: p.gain)
            return out
        }
        let kernel = try runtime.kernel("upfirdn2d_f32", file: Self.upfirdn2dFile,
                                        options: upfirdn2dOptions(filterShape: filterShape, p))
        try runtime.launch(kernel, global: [count], [.buffer(storage(out).mem), .buffer(storage(x).mem)]
                           + upfirdn2dArguments(filter, filterShape: filterShape, inputShape: shape, p))
        return out
    }

    public func upfirdn2dAdjoint(_ dy: Storage, shape: [Int], filter: Storage, filterShape: [Int],
                                 _ p: UpFirDn2dParameters, inputShape: [Int]) throws -> Storage {
        let count = Shape.count(inputShape)
        let out = try allocate(count: count, dtype: dy.dtype)
        if p.up == (1, 1) && p.down == (1, 1) {
            // The adjoint of a pure filter is the unflipped filter with the pads mirrored.
            let (fh, fw) = (filterShape[0], filterShape[1])
            try fir2d(into: out, dy, planes: shape[0] * shape[1], height: shape[2], width: shape[3], filter: filter,
                      filterShape: filterShape, flip: false, pad: (fh - 1 - p.padding.y0, fw - 1 - p.padding.x0),
                      outputSize: (inputShape[2], inputShape[3]), gain: p.gain)
            return out
        }
        let kernel = try runtime.kernel("upfirdn2d_grad_f32", file: Self.upfirdn2dFile,
                                        options: upfirdn2dOptions(filterShape: filterShape, p))
        try runtime.launch(kernel, global: [count], [.buffer(storage(out).mem), .buffer(storage(dy).mem)]
                           + upfirdn2dArguments(filter, filterShape: filterShape, inputShape: inputShape, p))
        return out
    }

    public func randomNormal(count: Int, seed: UInt64, offset: UInt64, dtype: DType) throws -> Storage {
        let out = try allocate(count: count, dtype: dtype)
        let kernel = try runtime.kernel("randn_f32", file: Self.randomFile)
        func word(_ v: UInt64, _ shift: UInt64) -> KernelArg { .int(Int32(bitPattern: UInt32(truncatingIfNeeded: v >> shift))) }
        try runtime.launch(
            kernel, global: [(count + 3) / 4],
            [.buffer(storage(out).mem), .i(count), word(seed, 0), word(seed, 32), word(offset, 0), word(offset, 32)])
        return out
    }

    public func adamStep(parameter: Storage, gradient: Storage, m: Storage, v: Storage, _ step: AdamStep) throws {
        let kernel = try runtime.kernel("adam_f32", file: Self.adamFile)
        let (c1, c2) = step.corrections
        try runtime.launch(
            kernel, global: [parameter.count],
            [.buffer(storage(parameter).mem), .buffer(storage(gradient).mem), .buffer(storage(m).mem),
             .buffer(storage(v).mem), .i(parameter.count), .float(Float(step.learningRate)), .float(Float(step.beta1)),
             .float(Float(step.beta2)), .float(Float(step.epsilon)), .float(Float(c1)), .float(Float(c2))])
    }
}
