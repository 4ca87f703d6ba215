import Foundation
import Tensors

/// A network module with named parameters, buffers and children, like `torch.nn.Module`:
/// `stateDict()` lists them under the official dotted keys (`synthesis.b8.conv0.affine.weight`).
open class Layer {
    public private(set) var parameters: [(name: String, parameter: Parameter)] = []
    public private(set) var buffers: [(name: String, buffer: Buffer)] = []
    public private(set) var children: [(name: String, layer: Layer)] = []
    /// Where the layer's tensors live.
    public let device: Device

    public init(device: Device) { self.device = device }

    /// Registers a parameter under `name`.
    public func parameter(_ name: String, _ value: Tensor) -> Parameter {
        let p = Parameter(name, value)
        parameters.append((name, p))
        return p
    }

    /// Registers a buffer under `name`.
    public func buffer(_ name: String, _ value: Tensor) -> Buffer {
        let b = Buffer(name, value)
        buffers.append((name, b))
        return b
    }

    /// Registers a child layer under `name`.
    @discardableResult
    public func child<L: Layer>(_ name: String, _ layer: L) -> L {
        children.append((name, layer))
        return layer
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
        }
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
