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
    /// Tensors of training state in snapshots (optimizer moments, pl_mean) start with this.
    public static let trainingStatePrefix = "train."

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

    /// The networks of a StyleGAN (v1) network file; modules absent from the file are nil.
    public struct StyleGAN1Networks {
        public var G: StyleGAN1.Generator?
        public var D: StyleGAN1.Discriminator?
        public var G_ema: StyleGAN1.Generator?

        public init(G: StyleGAN1.Generator? = nil, D: StyleGAN1.Discriminator? = nil, G_ema: StyleGAN1.Generator? = nil) {
            self.G = G
            self.D = D
            self.G_ema = G_ema
        }
    }

    /// The networks of a file of either architecture.
    public enum Contents {
        case stylegan2(StyleGAN2Networks)
        case stylegan1(StyleGAN1Networks)

        /// The generator to render with: G_ema when present, else G.
        public var generatorForRendering: ImageGenerator? {
            switch self {
            case .stylegan2(let n): return n.G_ema ?? n.G
            case .stylegan1(let n): return n.G_ema ?? n.G
            }
        }
    }

    /// The parsed header and tensors of a network file, before networks are built.
    struct Parsed {
        let path: String
        let arch: String
        let file: SafeTensorsFile
        var modules: [String: [String: Tensor]]

        func config<C: Decodable>(_ key: String, _ type: C.Type) throws -> C {
            guard let json = file.metadata[key] else { throw NetworkFileError.missingMetadata(path: path, key: key) }
            do {
                return try JSONDecoder().decode(C.self, from: Data(json.utf8))
            } catch {
                throw NetworkFileError.invalidArguments(path: path, key: key, reason: describe(error))
            }
        }
    }

    static func parse(path: String, device: Device) throws -> Parsed {
        try parse(SafeTensorsFile(path: path), device: device)
    }

    static func parse(_ file: SafeTensorsFile, device: Device) throws -> Parsed {
        let path = file.path
        guard let arch = file.metadata[archKey] else {
            throw NetworkFileError.notANetworkFile(path: path)
        }
        guard arch == "stylegan2" || arch == "stylegan1" else {
            throw NetworkFileError.unknownArchitecture(path: path, arch: arch)
        }
        if let format = file.metadata[formatKey], format != "1" {
            throw NetworkFileError.unknownFormat(path: path, format: format)
        }
        var modules: [String: [String: Tensor]] = [:]
        for entry in file.entries where !entry.name.hasPrefix(trainingStatePrefix) {
            guard let dot = entry.name.firstIndex(of: "."), ["G", "D", "G_ema"].contains(String(entry.name[..<dot])) else {
                throw NetworkFileError.unknownModule(path: path, tensor: entry.name)
            }
            let module = String(entry.name[..<dot]), key = String(entry.name[entry.name.index(after: dot)...])
            modules[module, default: [:]][key] = try Tensor(file.floats(entry.name), shape: entry.shape, on: device)
        }
        guard !modules.isEmpty else { throw NetworkFileError.noNetworks(path: path) }
        return Parsed(path: path, arch: arch, file: file, modules: modules)
    }

    /// Reads a network file of either architecture onto `device`, checking the header, the
    /// configuration and every tensor's name and shape.
    public static func read(path: String, device: Device) throws -> Contents {
        try read(SafeTensorsFile(path: path), device: device)
    }

    /// `read(path:device:)` of a file already open (a training snapshot is read once for its
    /// networks and its training state).
    public static func read(_ file: SafeTensorsFile, device: Device) throws -> Contents {
        let parsed = try parse(file, device: device)
        return parsed.arch == "stylegan2" ? .stylegan2(try readStyleGAN2(parsed, device: device))
                                          : .stylegan1(try readStyleGAN1(parsed, device: device))
    }

    /// The constructor arguments of a StyleGAN2 network file's G and D, from its header alone (no
    /// network is built); nil where the file is a StyleGAN (v1) file.
    public static func styleGAN2Configurations(_ file: SafeTensorsFile) throws
        -> (generator: StyleGAN2.GeneratorConfig, discriminator: StyleGAN2.DiscriminatorConfig)? {
        guard let arch = file.metadata[archKey] else { throw NetworkFileError.notANetworkFile(path: file.path) }
        guard arch == "stylegan2" else { return nil }
        let parsed = Parsed(path: file.path, arch: arch, file: file, modules: [:])
        return (try parsed.config(generatorKwargsKey, StyleGAN2.GeneratorConfig.self),
                try parsed.config(discriminatorKwargsKey, StyleGAN2.DiscriminatorConfig.self))
    }

    /// Reads a StyleGAN2 network file onto `device`.
    public static func readStyleGAN2(path: String, device: Device) throws -> StyleGAN2Networks {
        let parsed = try parse(path: path, device: device)
        guard parsed.arch == "stylegan2" else { throw NetworkFileError.wrongArchitecture(path: parsed.path, found: parsed.arch, needed: "stylegan2") }
        return try readStyleGAN2(parsed, device: device)
    }

    static func readStyleGAN1(_ parsed: Parsed, device: Device) throws -> StyleGAN1Networks {
        let (g, d, gEma) = try build(parsed, generator: { (c: StyleGAN1.GeneratorConfig) in try StyleGAN1.Generator(c, device: device) },
                                     discriminator: { (c: StyleGAN1.DiscriminatorConfig) in try StyleGAN1.Discriminator(c, device: device) })
        return StyleGAN1Networks(G: g, D: d, G_ema: gEma)
    }

    static func readStyleGAN2(_ parsed: Parsed, device: Device) throws -> StyleGAN2Networks {
        let (g, d, gEma) = try build(parsed, generator: { (c: StyleGAN2.GeneratorConfig) in try StyleGAN2.Generator(c, device: device) },
                                     discriminator: { (c: StyleGAN2.DiscriminatorConfig) in try StyleGAN2.Discriminator(c, device: device) })
        return StyleGAN2Networks(G: g, D: d, G_ema: gEma)
    }

    /// Builds G, D and G_ema from the file's constructor arguments and loads their tensors.
    static func build<G: Layer, D: Layer, GC: Decodable & ParameterEstimating, DC: Decodable & ParameterEstimating>(
        _ parsed: Parsed, generator: (GC) throws -> G, discriminator: (DC) throws -> D
    ) throws -> (G?, D?, G?) {
        /// The configuration must describe about as many weights as the file holds: metadata that
        /// claims a huge network (channel_max 2^40, w_dim 1e9) is refused before anything is built.
        func check(_ config: ParameterEstimating, _ module: String, _ key: String) throws {
            try config.validate()
            let held = parsed.modules[module, default: [:]].values.reduce(0.0) { $0 + Double($1.count) }
            let claimed = config.estimatedParameters
            guard claimed <= 1.5 * held + 4096 else {
                throw NetworkFileError.oversizedConfiguration(path: parsed.path, key: key, claimedWeights: claimed, module: module, heldValues: Int(held))
            }
        }
        do {
            var generators: [String: G] = [:]
            if parsed.modules["G"] != nil || parsed.modules["G_ema"] != nil {
                let config = try parsed.config(generatorKwargsKey, GC.self)
                for name in ["G", "G_ema"] {
                    guard let state = parsed.modules[name] else { continue }
                    try check(config, name, generatorKwargsKey)
                    let g = try generator(config)
                    try g.load(state, keyPrefix: "\(name).")
                    generators[name] = g
                }
            }
            var d: D? = nil
            if let state = parsed.modules["D"] {
                let config = try parsed.config(discriminatorKwargsKey, DC.self)
                try check(config, "D", discriminatorKwargsKey)
                d = try discriminator(config)
                try d!.load(state, keyPrefix: "D.")
            }
            return (generators["G"], d, generators["G_ema"])
        } catch let error as NetworkError {
            throw NetworkFileError.network(path: parsed.path, error)
        }
    }

    /// Writes StyleGAN2 networks to `path` atomically, with extra metadata and `train.*` tensors.
    public static func write(_ networks: StyleGAN2Networks, to path: String, extraMetadata: [String: String] = [:],
                             extraTensors: [(String, Tensor)] = []) throws {
        try write(arch: "stylegan2", generatorConfig: (networks.G ?? networks.G_ema)?.config, discriminatorConfig: networks.D?.config,
                  modules: [("G", networks.G), ("D", networks.D), ("G_ema", networks.G_ema)], to: path,
                  extraMetadata: extraMetadata, extraTensors: extraTensors)
    }

    /// Writes StyleGAN (v1) networks to `path` atomically, with extra metadata and `train.*` tensors.
    public static func write(_ networks: StyleGAN1Networks, to path: String, extraMetadata: [String: String] = [:],
                             extraTensors: [(String, Tensor)] = []) throws {
        try write(arch: "stylegan1", generatorConfig: (networks.G ?? networks.G_ema)?.config, discriminatorConfig: networks.D?.config,
                  modules: [("G", networks.G), ("D", networks.D), ("G_ema", networks.G_ema)], to: path,
                  extraMetadata: extraMetadata, extraTensors: extraTensors)
    }

    static func write(arch: String, generatorConfig: Encodable?, discriminatorConfig: Encodable?, modules: [(String, Layer?)],
                      to path: String, extraMetadata: [String: String], extraTensors: [(String, Tensor)]) throws {
        var writer = SafeTensorsWriter(metadata: extraMetadata)
        writer.metadata[archKey] = arch
        writer.metadata[formatKey] = "1"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        if let g = generatorConfig {
            writer.metadata[generatorKwargsKey] = String(decoding: try encoder.encode(g), as: UTF8.self)
        }
        if let d = discriminatorConfig {
            writer.metadata[discriminatorKwargsKey] = String(decoding: try encoder.encode(d), as: UTF8.self)
        }
        for (name, layer) in modules {
            guard let layer else { continue }
            for (key, tensor) in layer.stateDict() {
                writer.add("\(name).\(key)", shape: tensor.shape, values: try tensor.toArray())
            }
        }
        for (name, tensor) in extraTensors {
            precondition(name.hasPrefix(trainingStatePrefix), "extra tensor \(name) must start with \(trainingStatePrefix)")
            writer.add(name, shape: tensor.shape, values: try tensor.toArray())
        }
        try writer.write(to: path)
    }
}

/// A network file that cannot be used: each case names the file and carries what is wrong with it.
public enum NetworkFileError: Error, CustomStringConvertible, Equatable {
    /// No `sgan.arch` metadata: not a network file of this project.
    case notANetworkFile(path: String)
    /// An `sgan.arch` other than `stylegan2` and `stylegan1`.
    case unknownArchitecture(path: String, arch: String)
    /// An `sgan.format` other than 1.
    case unknownFormat(path: String, format: String)
    /// A tensor outside the modules G, D, G_ema and the training state.
    case unknownModule(path: String, tensor: String)
    /// No tensor of G, D or G_ema.
    case noNetworks(path: String)
    /// A network of another architecture than the one needed.
    case wrongArchitecture(path: String, found: String, needed: String)
    /// No constructor arguments (`sgan.G_kwargs`, `sgan.D_kwargs`) for a module the file holds.
    case missingMetadata(path: String, key: String)
    /// Constructor arguments that do not decode, with the decoder's reason.
    case invalidArguments(path: String, key: String, reason: String)
    /// Constructor arguments describing far more weights than the file holds for `module`.
    case oversizedConfiguration(path: String, key: String, claimedWeights: Double, module: String, heldValues: Int)
    /// A configuration or tensor that does not fit the network (the `NetworkError`).
    case network(path: String, NetworkError)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .notANetworkFile(let path), .unknownArchitecture(let path, _), .unknownFormat(let path, _), .unknownModule(let path, _),
             .noNetworks(let path), .wrongArchitecture(let path, _, _), .missingMetadata(let path, _), .invalidArguments(let path, _, _),
             .oversizedConfiguration(let path, _, _, _, _), .network(let path, _):
            return path
        }
    }

    public var description: String { "\(path) \(problem)" }

    /// What is wrong, after the file name.
    var problem: String {
        switch self {
        case .notANetworkFile:
            return "has no '\(NetworkFile.archKey)' in its __metadata__: not a network file of this project (convert official pickles with tools/convert_official.py)"
        case .unknownArchitecture(_, let arch):
            return "has '\(NetworkFile.archKey)' = '\(arch)'; this version reads 'stylegan2' and 'stylegan1'"
        case .unknownFormat(_, let format):
            return "is network-file format \(format); this version reads format 1: update sgan-gpu"
        case .unknownModule(_, let tensor):
            return "has tensor '\(tensor)', which does not start with G., D., G_ema. or train."
        case .noNetworks:
            return "holds no G, D or G_ema tensors"
        case .wrongArchitecture(_, let found, let needed):
            return "holds a '\(found)' network where a '\(needed)' network is needed"
        case .missingMetadata(_, let key):
            return "has no '\(key)' in its __metadata__"
        case .invalidArguments(_, let key, let reason):
            return "has a '\(key)' that is not valid constructor arguments: \(reason)"
        case .oversizedConfiguration(_, let key, let claimed, let module, let held):
            return "has a '\(key)' describing a network of at least \(String(format: "%.3g", claimed)) weights, but holds \(held) values for \(module): the metadata does not match the tensors (a damaged or edited file)"
        case .network(_, let error):
            return error.description
        }
    }
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
