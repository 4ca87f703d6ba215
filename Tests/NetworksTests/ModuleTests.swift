import Foundation
import Networks
import Tensors
import Testing

/// Modules: the state-dict keys and their order, the shape check at each module boundary, and
/// activation tracing by layer path.
@Suite struct ModuleTests {
    static func stylegan2G() throws -> StyleGAN2.Generator {
        var c = StyleGAN2.GeneratorConfig()
        (c.zDim, c.wDim, c.imgResolution, c.mapping.numLayers, c.synthesis.channelBase, c.synthesis.channelMax) = (8, 8, 16, 2, 64, 8)
        return try StyleGAN2.Generator(c, device: .cpu)
    }

    static func stylegan2D(_ architecture: StyleGAN2.Architecture = .resnet) throws -> StyleGAN2.Discriminator {
        var c = StyleGAN2.DiscriminatorConfig()
        (c.imgResolution, c.channelBase, c.channelMax, c.architecture) = (16, 64, 8, architecture)
        return try StyleGAN2.Discriminator(c, device: .cpu)
    }

    static func stylegan1G() throws -> StyleGAN1.Generator {
        var c = StyleGAN1.GeneratorConfig(resolution: 16)
        (c.latentSize, c.dlatentSize, c.mappingLayers, c.mappingFmaps, c.fmapBase, c.fmapMax) = (8, 8, 2, 8, 64, 16)
        return try StyleGAN1.Generator(c, device: .cpu)
    }

    static func stylegan1D() throws -> StyleGAN1.Discriminator {
        var c = StyleGAN1.DiscriminatorConfig(resolution: 16)
        (c.fmapBase, c.fmapMax, c.mbstdGroupSize) = (64, 16, 2)
        return try StyleGAN1.Discriminator(c, device: .cpu)
    }

    /// `stateDict()` keys with shapes, in order, as they were before modules registered `let`
    /// properties once (network files and the reference fixtures depend on them).
    @Test func stateDictKeysAndOrderAreUnchanged() throws {
        let networks: [(String, Layer, [String])] = [
            ("StyleGAN2 G", try Self.stylegan2G(), Expected.stylegan2G),
            ("StyleGAN2 D resnet", try Self.stylegan2D(), Expected.stylegan2D),
            ("StyleGAN2 D orig", try Self.stylegan2D(.orig), Expected.stylegan2DOrig),
            ("StyleGAN1 G", try Self.stylegan1G(), Expected.stylegan1G),
            ("StyleGAN1 D", try Self.stylegan1D(), Expected.stylegan1D),
        ]
        for (name, network, expected) in networks {
            #expect(network.stateDict().map { "\($0.0) \($0.1.shape)" } == expected, "\(name)")
            let params = network.namedParameters(), buffers = network.namedBuffers()
            #expect(params.map(\.0) + buffers.map(\.0) == expected.map { String($0.prefix { $0 != " " }) }, "\(name)")
            // Every registered tensor is the one the module computes with: its key ends in its own name.
            #expect(params.allSatisfy { $0.0.hasSuffix($0.1.name) } && buffers.allSatisfy { $0.0.hasSuffix($0.1.name) }, "\(name)")
        }
    }

    @Test func layersKnowTheirPaths() throws {
        let g = try Self.stylegan2G()
        #expect(g.path == "" && g.moduleName == "Generator")
        #expect(g.synthesis.blocks[2].conv0?.affine.path == "synthesis.b16.conv0.affine")
        #expect(g.mapping.layers[1].path == "mapping.fc1")
        let d = try Self.stylegan2D()
        #expect(d.epilogue.out.path == "b4.out" && d.blocks[0].fromrgb?.path == "b16.fromrgb")
        let g1 = try Self.stylegan1G()
        #expect(g1.synthesis.blocks[1].first.noise.path == "synthesis.8x8.Conv0_up.Noise")
        #expect(g1.synthesis.toRGB[2].path == "synthesis.ToRGB_lod0")
        let d1 = try Self.stylegan1D()
        #expect(d1.blocks[1].conv1.path == "16x16.Conv1_down" && d1.epilogue.dense1.path == "4x4.Dense1")
    }

    /// Expects `body` to throw `NetworkError.activationShape` for `module` and `tensor`.
    func expectShapeError(_ module: String, _ tensor: String, expected: [Int?], found: [Int],
                          sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        #expect(throws: NetworkError.activationShape(module: module, tensor: tensor, expected: expected, found: found),
                sourceLocation: sourceLocation) { try body() }
    }

    @Test func wrongInputShapesNameTheModule() throws {
        let g = try Self.stylegan2G()
        let ws = try Tensor.zeros([2, g.numWs, 8])
        expectShapeError("mapping", "z", expected: [nil, 8], found: [2, 7]) { _ = try g(Tensor.zeros([2, 7])) }
        expectShapeError("synthesis", "ws", expected: [nil, 6, 8], found: [2, 5, 8]) { _ = try g.synthesis(Tensor.zeros([2, 5, 8])) }
        let b16 = g.synthesis.blocks[2]
        expectShapeError("synthesis.b16", "ws", expected: [nil, 3, 8], found: [2, 6, 8]) {
            _ = try b16(Tensor.zeros([2, 8, 8, 8]), nil, ws, noiseMode: .none, fused: false, random: nil)
        }
        let blockWs = try ws.slice(axis: 1, 0..<3)
        expectShapeError("synthesis.b16", "x", expected: [nil, 8, 8, 8], found: [2, 4, 8, 8]) {
            _ = try b16(Tensor.zeros([2, 4, 8, 8]), nil, blockWs, noiseMode: .none, fused: false, random: nil)
        }
        expectShapeError("synthesis.b16", "x", expected: [nil, 8, 8, 8], found: []) {
            _ = try b16(nil, nil, blockWs, noiseMode: .none, fused: false, random: nil)
        }
        expectShapeError("synthesis.b16", "img", expected: [nil, 3, 8, 8], found: [2, 3, 16, 16]) {
            _ = try b16(Tensor.zeros([2, 8, 8, 8]), Tensor.zeros([2, 3, 16, 16]), blockWs, noiseMode: .none, fused: false, random: nil)
        }
        let w = try Tensor.zeros([2, 8])
        expectShapeError("synthesis.b16.conv0", "x", expected: [nil, 8, 8, 8], found: [2, 8, 16, 16]) {
            _ = try b16.conv0!(Tensor.zeros([2, 8, 16, 16]), w, noiseMode: .none, fused: false, random: nil)
        }
        expectShapeError("synthesis.b16.torgb", "x", expected: [nil, 4, nil, nil], found: [2, 8, 16, 16]) {
            _ = try b16.torgb(Tensor.zeros([2, 8, 16, 16]), w, fused: false)
        }

        let d = try Self.stylegan2D()
        expectShapeError("Discriminator", "img", expected: [nil, 3, 16, 16], found: [2, 3, 8, 8]) { _ = try d(Tensor.zeros([2, 3, 8, 8])) }
        expectShapeError("b16", "img", expected: [nil, 3, 16, 16], found: [2, 1, 16, 16]) { _ = try d.blocks[0](nil, Tensor.zeros([2, 1, 16, 16])) }
        expectShapeError("b8", "x", expected: [nil, 8, 8, 8], found: [2, 4, 8, 8]) {
            _ = try d.blocks[1](Tensor.zeros([2, 4, 8, 8]), Tensor.zeros([2, 3, 16, 16]))
        }
        expectShapeError("b4", "x", expected: [nil, 8, 4, 4], found: [2, 8, 8, 8]) { _ = try d.epilogue(Tensor.zeros([2, 8, 8, 8])) }

        let g1 = try Self.stylegan1G()
        expectShapeError("mapping", "latents", expected: [nil, 8], found: [2, 8, 1]) { _ = try g1(Tensor.zeros([2, 8, 1])) }
        expectShapeError("synthesis", "dlatents", expected: [nil, 6, 8], found: [2, 6, 4]) { _ = try g1.synthesis(Tensor.zeros([2, 6, 4])) }
        let d1 = try Self.stylegan1D()
        expectShapeError("Discriminator", "images", expected: [nil, 3, 16, 16], found: [2, 3, 16]) { _ = try d1(Tensor.zeros([2, 3, 16])) }
    }

    @Test func shapeErrorDescriptionNamesModuleAndShapes() {
        let error = NetworkError.activationShape(module: "synthesis.b16.conv0", tensor: "x", expected: [nil, 512, 8, 8], found: [4, 256, 8, 8])
        #expect(error.description == "synthesis.b16.conv0: x has shape [4, 256, 8, 8] where [N, 512, 8, 8] is expected")
        let any = NetworkError.activationShape(module: "synthesis.b8.torgb", tensor: "x", expected: [nil, 4, nil, nil], found: [2, 8])
        #expect(any.description == "synthesis.b8.torgb: x has shape [2, 8] where [N, 4, *, *] is expected")
    }

    /// Inside `ActivationTrace.recording` every module's output is recorded under its path (the
    /// names the reference comparison reads); outside, nothing is.
    @Test func tracesRecordUnderLayerPaths() throws {
        let g = try Self.stylegan2G()
        let z = try Tensor.uniform([2, 8], seed: 1)
        #expect(ActivationTrace.current == nil)
        var image: Tensor? = nil
        let trace = try ActivationTrace.recording {
            #expect(ActivationTrace.current != nil)
            image = try g(z)
        }
        #expect(ActivationTrace.current == nil)
        var expected: Set<String> = ["mapping.fc0", "mapping.fc1"]
        for res in [4, 8, 16] {
            let b = "synthesis.b\(res)"
            expected.formUnion([b + ".conv1", b + ".conv1.affine", b + ".torgb", b + ".torgb.affine", b + ".x", b + ".img"])
            if res > 4 { expected.formUnion([b + ".conv0", b + ".conv0.affine"]) }
        }
        #expect(Set(trace.tensors.keys) == expected)
        #expect(try trace.tensors["synthesis.b16.img"]?.toArray() == image?.toArray())
        #expect(trace.tensors["synthesis.b8.conv0"]?.shape == [2, 8, 8, 8])
        // A trace is current only inside its own `recording`.
        let other = ActivationTrace()
        _ = try g.mapping(z)
        #expect(other.tensors.isEmpty)
        let d1 = try Self.stylegan1D()
        let v1 = try ActivationTrace.recording { _ = try d1(Tensor.uniform([2, 3, 16, 16], seed: 2)) }
        #expect(Set(v1.tensors.keys).isSuperset(of: ["FromRGB_lod0", "16x16", "16x16.Conv0", "8x8.Conv1_down", "4x4", "4x4.Dense1"]))
    }
}

/// The state-dict keys and shapes captured from the networks before the change to `let` modules.
private enum Expected {
    static let stylegan2G = [
        "synthesis.b4.const [8, 4, 4]",
        "synthesis.b4.conv1.weight [8, 8, 3, 3]",
        "synthesis.b4.conv1.bias [8]",
        "synthesis.b4.conv1.noise_strength []",
        "synthesis.b4.conv1.affine.weight [8, 8]",
        "synthesis.b4.conv1.affine.bias [8]",
        "synthesis.b4.torgb.weight [3, 8, 1, 1]",
        "synthesis.b4.torgb.bias [3]",
        "synthesis.b4.torgb.affine.weight [8, 8]",
        "synthesis.b4.torgb.affine.bias [8]",
        "synthesis.b8.conv0.weight [8, 8, 3, 3]",
        "synthesis.b8.conv0.bias [8]",
        "synthesis.b8.conv0.noise_strength []",
        "synthesis.b8.conv0.affine.weight [8, 8]",
        "synthesis.b8.conv0.affine.bias [8]",
        "synthesis.b8.conv1.weight [8, 8, 3, 3]",
        "synthesis.b8.conv1.bias [8]",
        "synthesis.b8.conv1.noise_strength []",
        "synthesis.b8.conv1.affine.weight [8, 8]",
        "synthesis.b8.conv1.affine.bias [8]",
        "synthesis.b8.torgb.weight [3, 8, 1, 1]",
        "synthesis.b8.torgb.bias [3]",
        "synthesis.b8.torgb.affine.weight [8, 8]",
        "synthesis.b8.torgb.affine.bias [8]",
        "synthesis.b16.conv0.weight [4, 8, 3, 3]",
        "synthesis.b16.conv0.bias [4]",
        "synthesis.b16.conv0.noise_strength []",
        "synthesis.b16.conv0.affine.weight [8, 8]",
        "synthesis.b16.conv0.affine.bias [8]",
        "synthesis.b16.conv1.weight [4, 4, 3, 3]",
        "synthesis.b16.conv1.bias [4]",
        "synthesis.b16.conv1.noise_strength []",
        "synthesis.b16.conv1.affine.weight [4, 8]",
        "synthesis.b16.conv1.affine.bias [4]",
        "synthesis.b16.torgb.weight [3, 4, 1, 1]",
        "synthesis.b16.torgb.bias [3]",
        "synthesis.b16.torgb.affine.weight [4, 8]",
        "synthesis.b16.torgb.affine.bias [4]",
        "mapping.fc0.weight [8, 8]",
        "mapping.fc0.bias [8]",
        "mapping.fc1.weight [8, 8]",
        "mapping.fc1.bias [8]",
        "synthesis.b4.resample_filter [4, 4]",
        "synthesis.b4.conv1.noise_const [4, 4]",
        "synthesis.b4.conv1.resample_filter [4, 4]",
        "synthesis.b8.resample_filter [4, 4]",
        "synthesis.b8.conv0.noise_const [8, 8]",
        "synthesis.b8.conv0.resample_filter [4, 4]",
        "synthesis.b8.conv1.noise_const [8, 8]",
        "synthesis.b8.conv1.resample_filter [4, 4]",
        "synthesis.b16.resample_filter [4, 4]",
        "synthesis.b16.conv0.noise_const [16, 16]",
        "synthesis.b16.conv0.resample_filter [4, 4]",
        "synthesis.b16.conv1.noise_const [16, 16]",
        "synthesis.b16.conv1.resample_filter [4, 4]",
        "mapping.w_avg [8]",
    ]
    static let stylegan2D = [
        "b16.fromrgb.weight [4, 3, 1, 1]",
        "b16.fromrgb.bias [4]",
        "b16.conv0.weight [4, 4, 3, 3]",
        "b16.conv0.bias [4]",
        "b16.conv1.weight [8, 4, 3, 3]",
        "b16.conv1.bias [8]",
        "b16.skip.weight [8, 4, 1, 1]",
        "b8.conv0.weight [8, 8, 3, 3]",
        "b8.conv0.bias [8]",
        "b8.conv1.weight [8, 8, 3, 3]",
        "b8.conv1.bias [8]",
        "b8.skip.weight [8, 8, 1, 1]",
        "b4.conv.weight [8, 9, 3, 3]",
        "b4.conv.bias [8]",
        "b4.fc.weight [8, 128]",
        "b4.fc.bias [8]",
        "b4.out.weight [1, 8]",
        "b4.out.bias [1]",
        "b16.resample_filter [4, 4]",
        "b16.fromrgb.resample_filter [4, 4]",
        "b16.conv0.resample_filter [4, 4]",
        "b16.conv1.resample_filter [4, 4]",
        "b16.skip.resample_filter [4, 4]",
        "b8.resample_filter [4, 4]",
        "b8.conv0.resample_filter [4, 4]",
        "b8.conv1.resample_filter [4, 4]",
        "b8.skip.resample_filter [4, 4]",
        "b4.conv.resample_filter [4, 4]",
    ]
    static let stylegan2DOrig = [
        "b16.fromrgb.weight [4, 3, 1, 1]",
        "b16.fromrgb.bias [4]",
        "b16.conv0.weight [4, 4, 3, 3]",
        "b16.conv0.bias [4]",
        "b16.conv1.weight [8, 4, 3, 3]",
        "b16.conv1.bias [8]",
        "b8.conv0.weight [8, 8, 3, 3]",
        "b8.conv0.bias [8]",
        "b8.conv1.weight [8, 8, 3, 3]",
        "b8.conv1.bias [8]",
        "b4.conv.weight [8, 9, 3, 3]",
        "b4.conv.bias [8]",
        "b4.fc.weight [8, 128]",
        "b4.fc.bias [8]",
        "b4.out.weight [1, 8]",
        "b4.out.bias [1]",
        "b16.resample_filter [4, 4]",
        "b16.fromrgb.resample_filter [4, 4]",
        "b16.conv0.resample_filter [4, 4]",
        "b16.conv1.resample_filter [4, 4]",
        "b8.resample_filter [4, 4]",
        "b8.conv0.resample_filter [4, 4]",
        "b8.conv1.resample_filter [4, 4]",
        "b4.conv.resample_filter [4, 4]",
    ]
    static let stylegan1G = [
        "synthesis.4x4.Const.const [1, 16, 4, 4]",
        "synthesis.4x4.Const.bias [16]",
        "synthesis.4x4.Const.Noise.weight [16]",
        "synthesis.4x4.Const.StyleMod.weight [32, 8]",
        "synthesis.4x4.Const.StyleMod.bias [32]",
        "synthesis.4x4.Conv.weight [16, 16, 3, 3]",
        "synthesis.4x4.Conv.bias [16]",
        "synthesis.4x4.Conv.Noise.weight [16]",
        "synthesis.4x4.Conv.StyleMod.weight [32, 8]",
        "synthesis.4x4.Conv.StyleMod.bias [32]",
        "synthesis.ToRGB_lod2.weight [3, 16, 1, 1]",
        "synthesis.ToRGB_lod2.bias [3]",
        "synthesis.8x8.Conv0_up.weight [16, 16, 3, 3]",
        "synthesis.8x8.Conv0_up.bias [16]",
        "synthesis.8x8.Conv0_up.Noise.weight [16]",
        "synthesis.8x8.Conv0_up.StyleMod.weight [32, 8]",
        "synthesis.8x8.Conv0_up.StyleMod.bias [32]",
        "synthesis.8x8.Conv1.weight [16, 16, 3, 3]",
        "synthesis.8x8.Conv1.bias [16]",
        "synthesis.8x8.Conv1.Noise.weight [16]",
        "synthesis.8x8.Conv1.StyleMod.weight [32, 8]",
        "synthesis.8x8.Conv1.StyleMod.bias [32]",
        "synthesis.ToRGB_lod1.weight [3, 16, 1, 1]",
        "synthesis.ToRGB_lod1.bias [3]",
        "synthesis.16x16.Conv0_up.weight [8, 16, 3, 3]",
        "synthesis.16x16.Conv0_up.bias [8]",
        "synthesis.16x16.Conv0_up.Noise.weight [8]",
        "synthesis.16x16.Conv0_up.StyleMod.weight [16, 8]",
        "synthesis.16x16.Conv0_up.StyleMod.bias [16]",
        "synthesis.16x16.Conv1.weight [8, 8, 3, 3]",
        "synthesis.16x16.Conv1.bias [8]",
        "synthesis.16x16.Conv1.Noise.weight [8]",
        "synthesis.16x16.Conv1.StyleMod.weight [16, 8]",
        "synthesis.16x16.Conv1.StyleMod.bias [16]",
        "synthesis.ToRGB_lod0.weight [3, 8, 1, 1]",
        "synthesis.ToRGB_lod0.bias [3]",
        "mapping.Dense0.weight [8, 8]",
        "mapping.Dense0.bias [8]",
        "mapping.Dense1.weight [8, 8]",
        "mapping.Dense1.bias [8]",
        "lod []",
        "dlatent_avg [8]",
        "synthesis.noise0 [1, 1, 4, 4]",
        "synthesis.noise1 [1, 1, 4, 4]",
        "synthesis.noise2 [1, 1, 8, 8]",
        "synthesis.noise3 [1, 1, 8, 8]",
        "synthesis.noise4 [1, 1, 16, 16]",
        "synthesis.noise5 [1, 1, 16, 16]",
    ]
    static let stylegan1D = [
        "FromRGB_lod2.weight [16, 3, 1, 1]",
        "FromRGB_lod2.bias [16]",
        "FromRGB_lod1.weight [16, 3, 1, 1]",
        "FromRGB_lod1.bias [16]",
        "FromRGB_lod0.weight [8, 3, 1, 1]",
        "FromRGB_lod0.bias [8]",
        "16x16.Conv0.weight [8, 8, 3, 3]",
        "16x16.Conv0.bias [8]",
        "16x16.Conv1_down.weight [16, 8, 3, 3]",
        "16x16.Conv1_down.bias [16]",
        "8x8.Conv0.weight [16, 16, 3, 3]",
        "8x8.Conv0.bias [16]",
        "8x8.Conv1_down.weight [16, 16, 3, 3]",
        "8x8.Conv1_down.bias [16]",
        "4x4.Conv.weight [16, 17, 3, 3]",
        "4x4.Conv.bias [16]",
        "4x4.Dense0.weight [16, 256]",
        "4x4.Dense0.bias [16]",
        "4x4.Dense1.weight [1, 16]",
        "4x4.Dense1.bias [1]",
        "lod []",
    ]
}
