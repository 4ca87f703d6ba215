import Foundation
import Tensors

/// A network module with named parameters, buffers and children, like `torch.nn.Module`:
/// `stateDict()` lists them under the official dotted keys (`synthesis.b8.conv0.affine.weight`).
///
/// A subclass creates its parameters, buffers and children as `let` properties before calling
/// `super.init(device:parameters:buffers:children:)`, which registers each of them exactly once,
/// in the order given (the order of the official state dict). Parameters and buffers are
/// registered under their own names (`Parameter("weight", ...)`); nil entries stand for what the
/// official module leaves out (`bias=False`) and are skipped. Registering a child makes this
/// layer its parent, so that every layer knows its dotted `path` in the network.
open class Layer {
    public let parameters: [(name: String, parameter: Parameter)]
    public let buffers: [(name: String, buffer: Buffer)]
    public let children: [(name: String, layer: Layer)]
    /// Where the layer's tensors live.
    public let device: Device
    /// The name under which the parent registered this layer ("" for a network's root).
    public private(set) var name = ""
    /// The layer that registered this one as a child (nil for a network's root).
    public private(set) weak var parent: Layer?

    public init(device: Device, parameters: [Parameter?] = [], buffers: [Buffer?] = [], children: [(String, Layer?)] = []) {
        self.device = device
        self.parameters = parameters.compactMap { $0 }.map { ($0.name, $0) }
        self.buffers = buffers.compactMap { $0 }.map { ($0.name, $0) }
        self.children = children.compactMap { name, layer in layer.map { (name, $0) } }
        let names = self.parameters.map(\.name) + self.buffers.map(\.name) + self.children.map(\.name)
        precondition(Set(names).count == names.count, "\(type(of: self)) registers a name twice: \(names)")
        for (name, child) in self.children {
            precondition(child.parent == nil, "layer '\(name)' is already registered as '\(child.path)'")
            child.name = name
            child.parent = self
        }
    }

    /// The dotted path from the network's root (`synthesis.b16.conv0`; "" for the root itself),
    /// the prefix of the layer's state-dict keys and the name of its traced activations.
    public var path: String {
        guard let parent else { return name }
        let prefix = parent.path
        return prefix.isEmpty ? name : prefix + "." + name
    }

    /// The layer's path, or its type's name for a network's root (`Discriminator`).
    public var moduleName: String {
        let path = self.path
        return path.isEmpty ? String(describing: type(of: self)) : path
    }

    /// The official `misc.assert_shape`: throws `NetworkError.activationShape` naming this layer
    /// and `what` unless `x` has `expected.count` axes, each of the size given (nil: any size).
    /// Reads only the shape, no device work.
    public final func assertShape(_ x: Tensor, _ expected: [Int?], _ what: String) throws {
        guard x.rank == expected.count, zip(x.shape, expected).allSatisfy({ $1 == nil || $0 == $1 }) else {
            throw NetworkError.activationShape(module: moduleName, tensor: what, expected: expected, found: x.shape)
        }
    }

    /// `x` after `assertShape`; a missing input (nil) throws the same error with no shape found.
    final func require(_ x: Tensor?, _ expected: [Int?], _ what: String) throws -> Tensor {
        guard let x else {
            throw NetworkError.activationShape(module: moduleName, tensor: what, expected: expected, found: [])
        }
        try assertShape(x, expected, what)
        return x
    }

    /// Records `activation` as this layer's output (under its `path`) in the trace of the running
    /// `ActivationTrace.recording`, if any, and returns it.
    @discardableResult
    public final func record(_ activation: Tensor) -> Tensor {
        if let trace = ActivationTrace.current { trace.record(path, activation) }
        return activation
    }

    /// Records `activation` under `path.name` (`synthesis.b8.img`) in the running trace, if any, and returns it.
    @discardableResult
    public final func record(_ name: String, _ activation: Tensor) -> Tensor {
        if let trace = ActivationTrace.current {
            let path = self.path
            trace.record(path.isEmpty ? name : path + "." + name, activation)
        }
        return activation
    }

    /// Every parameter with its dotted key, depth first in registration order.
    public func namedParameters(prefix: String = "") -> [(String, Parameter)] {
        parameters.map { (prefix + $0.name, $0.parameter) }
            + children.flatMap { $0.layer.namedParameters(prefix: prefix + $0.name + ".") }
    }

    /// Every buffer with its dotted key.
    public func namedBuffers(prefix: String = "") -> [(String, Buffer)] {
        buffers.map { (prefix + $0.name, $0.buffer) }
            + children.flatMap { $0.layer.namedBuffers(prefix: prefix + $0.name + ".") }
    }

    /// Parameters and buffers under their official state_dict keys.
    public func stateDict() -> [(String, Tensor)] {
        namedParameters().map { ($0.0, $0.1.value) } + namedBuffers().map { ($0.0, $0.1.value) }
    }

    /// Replaces every parameter and buffer with the tensor of the same key in `state`.
    /// Throws naming the first key that is missing, unexpected or of another shape, written
    /// after `keyPrefix` (the module in a network file, such as `G_ema.`).
    public func load(_ state: [String: Tensor], keyPrefix: String = "") throws {
        let params = namedParameters(), buffers = namedBuffers()
        let known = Set(params.map(\.0) + buffers.map(\.0))
        if let extra = state.keys.sorted().first(where: { !known.contains($0) }) {
            throw NetworkError.unexpectedTensor(keyPrefix + extra)
        }
        for (key, p) in params {
            guard let t = state[key] else { throw NetworkError.missingTensor(keyPrefix + key) }
            guard t.shape == p.shape else { throw NetworkError.shapeMismatch(keyPrefix + key, expected: p.shape, found: t.shape) }
            try p.assign(t.to(device))
        }
        for (key, b) in buffers {
            guard let t = state[key] else { throw NetworkError.missingTensor(keyPrefix + key) }
            guard t.shape == b.shape else { throw NetworkError.shapeMismatch(keyPrefix + key, expected: b.shape, found: t.shape) }
            b.value = try t.to(device)
        }
    }
}

/// Errors of building or loading a network: a tensor that does not fit, or a configuration
/// (constructor arguments) that describes no network this project builds.
public enum NetworkError: Error, CustomStringConvertible, Equatable {
    /// A tensor the network needs that the state does not hold.
    case missingTensor(String)
    /// A tensor of the state that belongs to no parameter or buffer.
    case unexpectedTensor(String)
    /// A tensor of another shape than the configuration gives.
    case shapeMismatch(String, expected: [Int], found: [Int])
    /// A configuration value that is none of the choices (`architecture`, `fused_scale`).
    case unknownValue(key: String, value: String, choices: [String])
    /// An official architecture that this project does not build (`network`: synthesis or discriminator).
    case unsupportedArchitecture(network: String, architecture: String, supported: [String])
    /// A conditional network (`c_dim` above 0).
    case conditional(cDim: Int)
    /// An `img_resolution` (or `resolution`) that is not a power of two of at least 4.
    case resolution(Int)
    /// A `channel_base` too small for any channel at the resolution.
    case noChannels(channelBase: Int, resolution: Int)
    /// StyleGAN (v1): `fmap_decay` outside 0...16 or `fmap_base` below 1.
    case featureMaps(decay: Double, base: Int)
    /// Sizes that must be positive and are not; the text names them (and their values where known).
    case nonPositiveSizes(String)
    /// Noise mode `random` without a random stream.
    case randomStreamNeeded
    /// An activation entering a module with another shape than the module's configuration needs
    /// (the official `misc.assert_shape`); nil in `expected` stands for any size.
    case activationShape(module: String, tensor: String, expected: [Int?], found: [Int])

    public var description: String {
        func invalid(_ problem: String) -> String { "invalid network configuration: \(problem)" }
        /// `a`, `a or b`, `a, b or c`.
        func alternatives(_ values: [String]) -> String {
            values.count < 2 ? values.joined() : values.dropLast().joined(separator: ", ") + " or " + values.last!
        }
        switch self {
        case .missingTensor(let key): return "tensor '\(key)' is missing"
        case .unexpectedTensor(let key): return "tensor '\(key)' does not belong to this network"
        case .shapeMismatch(let key, let expected, let found):
            return "tensor '\(key)' has shape \(found) where the network's configuration needs \(expected)"
        case .unknownValue(let key, let value, let choices):
            return invalid("\(key) '\(value)' is not \(alternatives(choices))")
        case .unsupportedArchitecture(let network, let architecture, let supported):
            return invalid("\(network) architecture '\(architecture)' is not supported; use \(alternatives(supported.map { "'\($0)'" }))")
        case .conditional(let cDim):
            return invalid("conditional networks (c_dim \(cDim)) are not supported yet; use c_dim 0")
        case .resolution(let resolution):
            return invalid("img_resolution \(resolution) is not a power of two of at least 4")
        case .noChannels(let channelBase, let resolution):
            return invalid("channel_base \(channelBase) gives no channels at \(resolution) px")
        case .featureMaps(let decay, let base):
            return invalid("fmap_decay \(decay) must lie in 0...16 and fmap_base \(base) be positive")
        case .nonPositiveSizes(let sizes):
            return invalid(sizes)
        case .randomStreamNeeded:
            return invalid("noise mode 'random' needs a random stream")
        case .activationShape(let module, let tensor, let expected, let found):
            let sizes = expected.enumerated().map { i, size in size.map(String.init) ?? (i == 0 ? "N" : "*") }
            return "\(module): \(tensor) has shape \(found) where [\(sizes.joined(separator: ", "))] is expected"
        }
    }
}

/// Records named intermediate tensors of a forward pass (for comparisons with the reference).
///
/// `ActivationTrace.recording { ... }` makes a trace current for the body (a task-local value, so
/// concurrent work does not share it); layers record their outputs into the current trace under
/// their dotted paths (`Layer.record`), and record nothing when there is none.
public final class ActivationTrace: @unchecked Sendable {  // `recorded` behind `lock`
    /// The trace that layers record into, if any.
    @TaskLocal public static var current: ActivationTrace?

    private let lock = NSLock()
    private var recorded: [String: Tensor] = [:]

    public init() {}

    /// The recorded activations by name (`mapping.fc0`, `synthesis.b8.conv0.affine`, `synthesis.b8.img`).
    public var tensors: [String: Tensor] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    func record(_ name: String, _ t: Tensor) {
        lock.lock()
        defer { lock.unlock() }
        recorded[name] = t
    }

    /// Runs `body` with this trace current.
    public func recording<R>(_ body: () throws -> R) rethrows -> R {
        try Self.$current.withValue(self, operation: body)
    }

    /// Runs `body` with a new trace current and returns the trace.
    public static func recording(_ body: () throws -> Void) rethrows -> ActivationTrace {
        let trace = ActivationTrace()
        try trace.recording(body)
        return trace
    }
}

/// Seeded standard normal values for initialisation, generated on the host (the same on every device).
public struct InitRandom {
    var generator: SeededGenerator

    public init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    /// `shape` standard normal values times `scale`, on `device`.
    public mutating func normal(_ shape: [Int], scale: Double = 1, on device: Device) throws -> Tensor {
        var values = [Double](repeating: 0, count: Shape.count(shape))
        for i in stride(from: 0, to: values.count, by: 2) {
            let u1 = generator.uniform(Double.ulpOfOne...1), u2 = generator.uniform(0...1)
            let r = (-2 * Foundation.log(u1)).squareRoot()
            values[i] = r * Foundation.cos(2 * .pi * u2) * scale
            if i + 1 < values.count { values[i + 1] = r * Foundation.sin(2 * .pi * u2) * scale }
        }
        return try Tensor(values, shape: shape, on: device)
    }
}

extension Layer {
    /// The name of the first of `tensors` that holds NaN or Inf, if any. One read of the device:
    /// the sum of every tensor's largest magnitude is finite exactly when all tensors are; only
    /// when it is not are they read one by one to name the culprit.
    public static func firstNonFinite(_ tensors: [(String, Tensor)]) throws -> String? {
        try GradMode.disabled {
            let peaks = try tensors.map { try $0.1.abs().max().reshape([1]) }
            guard let first = peaks.first, !(try peaks.dropFirst().reduce(first, +).item()).isFinite else { return nil }
            for ((name, _), peak) in zip(tensors, peaks) where !(try peak.item()).isFinite { return name }
            return nil
        }
    }
}
