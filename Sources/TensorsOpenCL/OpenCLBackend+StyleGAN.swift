import OpenCLRuntime
import Tensors

extension OpenCLBackend {
    static let biasActFile = "bias_act.cl"
    static let upfirdn2dFile = "upfirdn2d.cl"
    static let randomFile = "random.cl"
    static let adamFile = "adam.cl"

    public func biasAct(_ x: Storage, shape: [Int], bias: Storage?, _ p: BiasActParameters) throws -> Storage {
        let out = try allocate(count: x.count, dtype: x.dtype)
        let planeSize = Shape.count(Array(shape.dropFirst(2)))
        try biasActF32(activation: p.activation, global: [planeSize, planeSize == 0 ? 0 : x.count / planeSize],
                       y: storage(out).mem, x: storage(x).mem, b: storage(bias ?? x).mem, hasBias: bias != nil,
                       channels: shape[1], planeSize: planeSize, alpha: Float(p.alpha), gain: Float(p.gain),
                       clampValue: Float(p.clamp ?? -1))
        return out
    }

    public func biasActGrad(_ dy: Storage, output y: Storage, _ p: BiasActParameters) throws -> Storage {
        let out = try allocate(count: dy.count, dtype: dy.dtype)
        try biasActGradF32(activation: p.activation, dx: storage(out).mem, dy: storage(dy).mem, y: storage(y).mem, n: dy.count,
                           alpha: Float(p.alpha), gain: Float(p.gain), clampValue: Float(p.clamp ?? -1))
        return out
    }

    /// `upfirdn2d_f32` or `upfirdn2d_adjoint_f32` over `count` outputs: `out` from `x`, both of the
    /// forward's input shape `inputShape` and output size.
    func upfirdn2d(adjoint: Bool, count: Int, out: Storage, _ x: Storage, filter: Storage, filterShape: [Int], inputShape: [Int],
                   _ p: UpFirDn2dParameters) throws {
        let (oh, ow) = p.outputSize(height: inputShape[2], width: inputShape[3],
                                    filterHeight: filterShape[0], filterWidth: filterShape[1])
        try upfirdn2dF32(adjoint: adjoint, options: upfirdn2dOptions(filterShape: filterShape, p), global: [count],
                         out: storage(out).mem, x: storage(x).mem, f: storage(filter).mem, planes: inputShape[0] * inputShape[1],
                         h: inputShape[2], w: inputShape[3], padY0: p.padding.y0, padX0: p.padding.x0, oh: oh, ow: ow,
                         gain: Float(p.gain))
    }

    /// The build options of upfirdn2d_f32 and its adjoint: filter size and factors as constants.
    func upfirdn2dOptions(filterShape: [Int], _ p: UpFirDn2dParameters) -> String {
        "-DFIR_H=\(filterShape[0]) -DFIR_W=\(filterShape[1]) -DUP_Y=\(p.up.y) -DUP_X=\(p.up.x) -DDOWN_Y=\(p.down.y) -DDOWN_X=\(p.down.x)"
    }

    /// `upfirdn2d_fir_f32`: the filter alone (up = down = 1), 16 outputs per work-item, compiled per
    /// filter size.
    func fir2d(into out: Storage, _ x: Storage, planes: Int, height: Int, width: Int, filter: Storage, filterShape: [Int],
               flip: Bool, pad: (y: Int, x: Int), outputSize: (height: Int, width: Int), gain: Double) throws {
        try upfirdn2dFirF32(options: "-DFIR_H=\(filterShape[0]) -DFIR_W=\(filterShape[1]) -DFLIP=\(flip ? 1 : 0)",
                            global: [(outputSize.width + 15) / 16, outputSize.height, planes], out: storage(out).mem,
                            x: storage(x).mem, f: storage(filter).mem, h: height, w: width, padY0: pad.y, padX0: pad.x,
                            oh: outputSize.height, ow: outputSize.width, gain: Float(gain))
    }

    /// On the CPU profile, `upfirdn2d_rows_f32` where it applies: factors of 1 or 2 per axis, up
    /// and down not both 2. `flip` false correlates (the adjoints); the input is `[planes, h, w]`.
    func upfirdn2dRows(into out: Storage, _ x: Storage, planes: Int, height: Int, width: Int, filter: Storage, filterShape: [Int],
                       up: (y: Int, x: Int), down: (y: Int, x: Int), flip: Bool, pad: (y: Int, x: Int),
                       outputSize: (height: Int, width: Int), gain: Double) throws -> Bool {
        guard isCPU, [up.y, up.x, down.y, down.x].allSatisfy({ $0 == 1 || $0 == 2 }), up.y * down.y <= 2, up.x * down.x <= 2 else {
            return false
        }
        // About 1,024 work-items or more: whole planes when there are that many, else fewer rows each.
        let rows = max(1, min(outputSize.height, planes * outputSize.height / 1024))
        try upfirdn2dRowsF32(options: "-DUPFIRDN_ROWS -DFIR_H=\(filterShape[0]) -DFIR_W=\(filterShape[1]) -DUP_Y=\(up.y) -DUP_X=\(up.x) "
                                 + "-DDOWN_Y=\(down.y) -DDOWN_X=\(down.x) -DFLIP=\(flip ? 1 : 0)",
                             global: [planes, (outputSize.height + rows - 1) / rows], out: storage(out).mem, x: storage(x).mem,
                             f: storage(filter).mem, planes: planes, h: height, w: width, padY0: pad.y, padX0: pad.x,
                             oh: outputSize.height, ow: outputSize.width, gain: Float(gain), rows: rows)
        return true
    }

    public func upfirdn2d(_ x: Storage, shape: [Int], filter: Storage, filterShape: [Int],
                          _ p: UpFirDn2dParameters) throws -> Storage {
        let (oh, ow) = p.outputSize(height: shape[2], width: shape[3], filterHeight: filterShape[0], filterWidth: filterShape[1])
        let count = shape[0] * shape[1] * oh * ow
        let out = try allocate(count: count, dtype: x.dtype)
        if try upfirdn2dRows(into: out, x, planes: shape[0] * shape[1], height: shape[2], width: shape[3], filter: filter,
                             filterShape: filterShape, up: p.up, down: p.down, flip: true, pad: (p.padding.y0, p.padding.x0),
                             outputSize: (oh, ow), gain: p.gain) {
            return out
        }
        if p.up == (1, 1) && p.down == (1, 1) {
            try fir2d(into: out, x, planes: shape[0] * shape[1], height: shape[2], width: shape[3], filter: filter,
                      filterShape: filterShape, flip: true, pad: (p.padding.y0, p.padding.x0), outputSize: (oh, ow), gain: p.gain)
            return out
        }
        try upfirdn2d(adjoint: false, count: count, out: out, x, filter: filter, filterShape: filterShape, inputShape: shape, p)
        return out
    }

    public func upfirdn2dAdjoint(_ dy: Storage, shape: [Int], filter: Storage, filterShape: [Int],
                                 _ p: UpFirDn2dParameters, inputShape: [Int]) throws -> Storage {
        let count = Shape.count(inputShape)
        let out = try allocate(count: count, dtype: dy.dtype)
        // The adjoint of upfirdn2d is upfirdn2d with up and down swapped, the filter unflipped and
        // the pads mirrored (fh - 1 - padY0, fw - 1 - padX0).
        let (fh, fw) = (filterShape[0], filterShape[1])
        let mirrored = (y: fh - 1 - p.padding.y0, x: fw - 1 - p.padding.x0)
        if try upfirdn2dRows(into: out, dy, planes: shape[0] * shape[1], height: shape[2], width: shape[3], filter: filter,
                             filterShape: filterShape, up: p.down, down: p.up, flip: false, pad: mirrored,
                             outputSize: (inputShape[2], inputShape[3]), gain: p.gain) {
            return out
        }
        if p.up == (1, 1) && p.down == (1, 1) {
            try fir2d(into: out, dy, planes: shape[0] * shape[1], height: shape[2], width: shape[3], filter: filter,
                      filterShape: filterShape, flip: false, pad: mirrored, outputSize: (inputShape[2], inputShape[3]), gain: p.gain)
            return out
        }
        try upfirdn2d(adjoint: true, count: count, out: out, dy, filter: filter, filterShape: filterShape, inputShape: inputShape, p)
        return out
    }

    public func randomNormal(count: Int, seed: UInt64, offset: UInt64, dtype: DType) throws -> Storage {
        let out = try allocate(count: count, dtype: dtype)
        try randnF32(out: storage(out).mem, n: count, seed: seed, offset: offset)
        return out
    }

    public func adamStep(parameter: Storage, gradient: Storage, m: Storage, v: Storage, _ step: AdamStep) throws {
        let (c1, c2) = step.corrections
        try adamF32(p: storage(parameter).mem, g: storage(gradient).mem, m: storage(m).mem, v: storage(v).mem, n: parameter.count,
                    lr: Float(step.learningRate), beta1: Float(step.beta1), beta2: Float(step.beta2), eps: Float(step.epsilon),
                    correction1: Float(c1), correction2: Float(c2))
    }
}
