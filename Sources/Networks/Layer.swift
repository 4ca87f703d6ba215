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

/// Errors of building or loading a network.
public enum NetworkError: Error, CustomStringConvertible, Equatable {
    case missingTensor(String)
    case unexpectedTensor(String)
    case shapeMismatch(String, expected: [Int], found: [Int])
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .missingTensor(let key): return "tensor '\(key)' is missing"
        case .unexpectedTensor(let key): return "tensor '\(key)' does not belong to this network"
        case .shapeMismatch(let key, let expected, let found):
            return "tensor '\(key)' has shape \(found) where the network's configuration needs \(expected)"
        case .invalidConfiguration(let message): return "invalid network configuration: \(message)"
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
