import Foundation
import Networks
import SafeTensors
import Tensors
import TensorsOpenCL
import Testing

/// The official reference tensors in `Tests/Fixtures/stylegan2-reference`.
enum Reference {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/stylegan2-reference")

    static func file(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(path: folder.appendingPathComponent(name + ".safetensors").path)
    }

    static func tensor(_ file: SafeTensorsFile, _ name: String, on device: Device = .cpu) throws -> Tensor {
        let entry = try #require(file.entry(name), "reference tensor \(name) missing")
        return try Tensor(file.floats(name), shape: entry.shape, on: device)
    }

    /// Every tensor of a params file, keyed by its official name.
    static func state(_ name: String, on device: Device) throws -> [String: Tensor] {
        let file = try file(name)
        return try Dictionary(uniqueKeysWithValues: file.names.map { ($0, try tensor(file, $0, on: device)) })
    }

    static func config() throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent("config.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func generatorConfig() throws -> StyleGAN2.GeneratorConfig {
        let kwargs = try #require(try config()["G_kwargs"])
        return try JSONDecoder().decode(StyleGAN2.GeneratorConfig.self, from: JSONSerialization.data(withJSONObject: kwargs))
    }

    static func discriminatorConfig() throws -> StyleGAN2.DiscriminatorConfig {
        let kwargs = try #require(try config()["D_kwargs"])
        return try JSONDecoder().decode(StyleGAN2.DiscriminatorConfig.self, from: JSONSerialization.data(withJSONObject: kwargs))
    }

    static func generator(_ params: String, on device: Device) throws -> StyleGAN2.Generator {
        let g = try StyleGAN2.Generator(try generatorConfig(), device: device)
        try g.load(try state(params, on: device))
        return g
    }

    static func discriminator(on device: Device) throws -> StyleGAN2.Discriminator {
        let d = try StyleGAN2.Discriminator(try discriminatorConfig(), device: device)
        try d.load(try state("d_params", on: device))
        return d
    }
}

/// The devices the reference tests run on: the CPU reference backend, and OpenCL when present.
let testDevices: [String] = {
    if (try? Device.select("opencl")) != nil { return ["cpu", "opencl"] }
    print("NetworksTests: no OpenCL platform; running the reference comparisons on the CPU backend only")
    return ["cpu"]
}()

/// The largest `|got − ref|`, and whether it is within `relative · max(1, max|ref|)` (the README's
/// tolerance for ws and images).
@discardableResult
func expectClose(_ got: Tensor, _ reference: Tensor, _ name: String, relative: Double = 1e-4,
                 floor: Double = 1, sourceLocation: SourceLocation = #_sourceLocation) throws -> Double {
    #expect(got.shape == reference.shape, "\(name): shape \(got.shape) vs reference \(reference.shape)", sourceLocation: sourceLocation)
    let a = try got.toArray(), b = try reference.toArray()
    let scale = Swift.max(floor, b.map { abs(Double($0)) }.max() ?? 0)
    let error = zip(a, b).map { abs(Double($0) - Double($1)) }.max() ?? 0
    #expect(error <= relative * scale, "\(name): max error \(error) exceeds \(relative) x \(scale)", sourceLocation: sourceLocation)
    return error
}
