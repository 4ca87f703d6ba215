/// Whether ops record what they need for gradients. On by default; `GradMode.disabled { ... }`
/// runs inference that records nothing. The flag is task-local, so concurrent work does not share it.
public enum GradMode {
    @TaskLocal public static var isEnabled = true

    /// Runs `body` without recording gradients.
    public static func disabled<T>(_ body: () throws -> T) rethrows -> T {
        try $isEnabled.withValue(false, operation: body)
    }
}

/// The tensors that the running `gradients` call needs gradients for: the inputs asked for and
/// everything computed from them. Backward formulas skip the others (a G step does not compute
/// gradients of D's weights).
enum GradContext {
    @TaskLocal static var needed: Set<ObjectIdentifier>? = nil
}

/// One recorded op: its differentiable inputs and its backward formula.
///
/// `backward(gradOutput, output)` returns the gradient with respect to each input (nil where
/// none flows), written in ordinary Tensor ops: run while recording, it is itself differentiable.
/// The output is passed in rather than captured, so that nodes hold no reference cycles.
final class GradNode {
    let op: String
    let inputs: [Tensor]
    let backward: (Tensor, Tensor) throws -> [Tensor?]

    init(op: String, inputs: [Tensor], backward: @escaping (Tensor, Tensor) throws -> [Tensor?]) {
        self.op = op
        self.inputs = inputs
        self.backward = backward
    }
}

extension Tensor {
    /// This tensor as a leaf that gradients are taken with respect to (shares storage).
    public func requiringGrad() -> Tensor {
        let leaf = Tensor(storage: storage, shape: shape, device: device)
        leaf.requiresGrad = true
        return leaf
    }

    /// Whether the running backward pass needs this tensor's gradient: it requires gradients and
    /// leads to an input of the `gradients` call.
    public var needsGradient: Bool {
        requiresGrad && (GradContext.needed?.contains(ObjectIdentifier(self)) ?? true)
    }

    /// The same elements with no gradient history (shares storage).
    public func detached() -> Tensor {
        Tensor(storage: storage, shape: shape, device: device)
    }

    /// Records `backward` as the way to differentiate this result with respect to `inputs`,
    /// when gradients are being recorded and some input requires them. Returns `self`.
    func recorded(_ op: String, _ inputs: [Tensor], backward: @escaping (_ gradOutput: Tensor, _ output: Tensor) throws -> [Tensor?]) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: \.requiresGrad) else { return self }
        requiresGrad = true
        gradNode = GradNode(op: op, inputs: inputs, backward: backward)
        return self
    }
}

/// Gradients of `output` with respect to each of `inputs` (reverse mode).
///
/// - Parameters:
///   - seed: the gradient of the final objective with respect to `output`; ones when nil.
///   - createGraph: record the backward pass, so that the gradients can be differentiated
///     again (R1, path length). Nothing is detached either way.
/// - Returns: one gradient per input, zeros for an input that `output` does not depend on.
public func gradients(of output: Tensor, wrt inputs: [Tensor], seed: Tensor? = nil,
                      createGraph: Bool = false) throws -> [Tensor] {
    for input in inputs where !input.requiresGrad {
        throw TensorError.invalidArgument(
            op: "gradients", reason: "an input of shape \(input.shape) does not require gradients; make it with requiringGrad()")
    }
    let seed = try seed ?? Tensor.ones(output.shape, dtype: output.dtype, on: output.device)
    guard seed.shape == output.shape else {
        throw TensorError.shapeMismatch(op: "gradients", shapes: [output.shape, seed.shape], reason: "differ (output and seed)")
    }

    // Tensors that require gradients, each after its inputs (topological order).
    var order: [Tensor] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(Tensor, Bool)] = [(output, false)]
    while let (tensor, expanded) = stack.popLast() {
        if expanded {
            order.append(tensor)
            continue
        }
        guard tensor.requiresGrad, visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
        stack.append((tensor, true))
        for input in tensor.gradNode?.inputs ?? [] { stack.append((input, false)) }
    }

    let wanted = Set(inputs.map(ObjectIdentifier.init))
    var needed = wanted
    for tensor in order where tensor.gradNode?.inputs.contains(where: { needed.contains(ObjectIdentifier($0)) }) == true {
        needed.insert(ObjectIdentifier(tensor))
    }
    var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(output): seed]
    try GradContext.$needed.withValue(needed) { try GradMode.$isEnabled.withValue(createGraph) {
        for tensor in order.reversed() {
            let id = ObjectIdentifier(tensor)
            guard needed.contains(id), let node = tensor.gradNode, let grad = grads[id] else { continue }
            if !wanted.contains(id) { grads[id] = nil }  // no longer needed
            let inputGrads = try node.backward(grad, tensor)
            for (input, inputGrad) in zip(node.inputs, inputGrads) {
                guard let inputGrad, input.requiresGrad, needed.contains(ObjectIdentifier(input)) else { continue }
                guard inputGrad.shape == input.shape else {
                    throw TensorError.shapeMismatch(
                        op: "\(node.op) backward", shapes: [input.shape, inputGrad.shape], reason: "differ (input and its gradient)")
                }
                let inputID = ObjectIdentifier(input)
                grads[inputID] = try grads[inputID].map { try $0 + inputGrad } ?? inputGrad
            }
        }
    } }
    return try inputs.map { input in
        try grads[ObjectIdentifier(input)] ?? Tensor.zeros(input.shape, dtype: input.dtype, on: input.device)
    }
}
