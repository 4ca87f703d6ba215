import Foundation
import SafeTensors
import Tensors

/// A network file: safetensors holding G, D and G_ema under `<module>.<official state_dict key>`,
/// with `__metadata__` keys `sgan.arch` (`stylegan2` or `stylegan1`), `sgan.G_kwargs` and
/// `sgan.D_kwargs` (the JSON of the official constructor arguments). The file alone rebuilds
/// the networks.
public enum NetworkFile {
    /// The metadata keys.
    public static let archKey = "sgan.arch"
    public static let generatorKwargsKey = "sgan.G_kwargs"
    public static let discriminatorKwargsKey = "sgan.D_kwargs"
    public static let formatKey = "sgan.format"

    /// The networks of a StyleGAN2 network file; modules absent from the file are nil.
    public struct StyleGAN2Networks {
        public var G: StyleGAN2.Generator?
        public var D: StyleGAN2.Discriminator?
        public var G_ema: StyleGAN2.Generator?

        public init(G: StyleGAN2.Generator? = nil, D: StyleGAN2.Discriminator? = nil, G_ema: StyleGAN2.Generator? = nil) {
            self.G = G
            self.D = D
            self.G_ema = G_ema
        }

        /// The generator to render with: G_ema when present, else G.
        public var generatorForRendering: StyleGAN2.Generator? { G_ema ?? G }
    }

    /// Reads a StyleGAN2 network file onto `device`, checking the header, the configuration and
    /// every tensor's name and shape.
    public static func readStyleGAN2(path: String, device: Device) throws -> StyleGAN2Networks {
        let file = try SafeTensorsFile(path: path)
        func fail(_ message: String) -> NetworkFileError { NetworkFileError(path: path, message: message) }
        guard let arch = file.metadata[archKey] else {
            throw fail("has no '\(archKey)' in its __metadata__: not a network file of this project (convert official pickles with tools/convert_official.py)")
        }
        guard arch == "stylegan2" else { throw fail("holds a '\(arch)' network where a 'stylegan2' network is needed") }
        var modules: [String: [String: Tensor]] = [:]
        for entry in file.entries {
            guard let dot = entry.name.firstIndex(of: "."), ["G", "D", "G_ema"].contains(String(entry.name[..<dot])) else {
                throw fail("has tensor '\(entry.name)', which does not start with G., D. or G_ema.")
            }
            let module = String(entry.name[..<dot]), key = String(entry.name[entry.name.index(after: dot)...])
            modules[module, default: [:]][key] = try Tensor(file.floats(entry.name), shape: entry.shape, on: device)
        }
        func config<C: Decodable>(_ key: String, _ type: C.Type) throws -> C {
            guard let json = file.metadata[key] else { throw fail("has no '\(key)' in its __metadata__") }
            do {
                return try JSONDecoder().decode(C.self, from: Data(json.utf8))
            } catch {
                throw fail("has a '\(key)' that is not valid constructor arguments: \(describe(error))")
            }
        }
        var networks = StyleGAN2Networks()
        do {
            if modules["G"] != nil || modules["G_ema"] != nil {
                let g = try config(generatorKwargsKey, StyleGAN2.GeneratorConfig.self)
                for name in ["G", "G_ema"] {
                    guard let state = modules[name] else { continue }
                    let generator = try StyleGAN2.Generator(g, device: device)
                    try load(generator, state, module: name)
                    if name == "G" { networks.G = generator } else { networks.G_ema = generator }
                }
            }
            if let state = modules["D"] {
                let d = try config(discriminatorKwargsKey, StyleGAN2.DiscriminatorConfig.self)
                let discriminator = try StyleGAN2.Discriminator(d, device: device)
                try load(discriminator, state, module: "D")
                networks.D = discriminator
            }
        } catch let error as NetworkError {
            throw fail(error.description)
        }
        guard networks.G != nil || networks.G_ema != nil || networks.D != nil else {
            throw fail("holds no G, D or G_ema tensors")
        }
        return networks
    }

    static func load(_ layer: Layer, _ state: [String: Tensor], module: String) throws {
        do {
            try layer.load(state)
        } catch let error as NetworkError {
            switch error {
            case .missingTensor(let key): throw NetworkError.missingTensor("\(module).\(key)")
            case .unexpectedTensor(let key): throw NetworkError.unexpectedTensor("\(module).\(key)")
            case .shapeMismatch(let key, let expected, let found): throw NetworkError.shapeMismatch("\(module).\(key)", expected: expected, found: found)
            default: throw error
            }
        }
    }

    /// Writes StyleGAN2 networks to `path` atomically.
    public static func write(_ networks: StyleGAN2Networks, to path: String, extraMetadata: [String: String] = [:]) throws {
        var writer = SafeTensorsWriter(metadata: extraMetadata)
        writer.metadata[archKey] = "stylegan2"
        writer.metadata[formatKey] = "1"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        if let g = networks.G ?? networks.G_ema {
            writer.metadata[generatorKwargsKey] = String(decoding: try encoder.encode(g.config), as: UTF8.self)
        }
        if let d = networks.D {
            writer.metadata[discriminatorKwargsKey] = String(decoding: try encoder.encode(d.config), as: UTF8.self)
        }
        let modules: [(String, Layer?)] = [("G", networks.G), ("D", networks.D), ("G_ema", networks.G_ema)]
        for (name, layer) in modules {
            guard let layer else { continue }
            for (key, tensor) in layer.stateDict() {
                writer.add("\(name).\(key)", shape: tensor.shape, values: try tensor.toArray())
            }
        }
        try writer.write(to: path)
    }
}

/// A network file that cannot be used: the file and what is wrong with it.
public struct NetworkFileError: Error, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "\(path) \(message)" }
}

/// A decoding error in one line: the key path and what was wrong.
func describe(_ error: Error) -> String {
    switch error {
    case DecodingError.keyNotFound(let key, let context):
        return "missing '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
        return "'\(context.codingPath.map(\.stringValue).joined(separator: "."))': \(context.debugDescription)"
    case DecodingError.dataCorrupted(let context):
        return context.debugDescription
    default:
        return "\(error)"
    }
}
