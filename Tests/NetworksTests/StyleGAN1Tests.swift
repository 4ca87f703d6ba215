import Foundation
import Networks
import StyleGANOps
import Tensors
import TensorsOpenCL
import Testing

/// StyleGAN (v1): names, both backends agreeing forward and backward, fused resampling, and the
/// progressive-growing fade-in.
@Suite struct StyleGAN1Tests {
    static func generatorConfig(_ resolution: Int) -> StyleGAN1.GeneratorConfig {
        var c = StyleGAN1.GeneratorConfig(resolution: resolution)
        (c.latentSize, c.dlatentSize, c.mappingLayers, c.mappingFmaps) = (8, 8, 2, 8)
        (c.fmapBase, c.fmapMax) = (64, 16)
        return c
    }

    static func discriminatorConfig(_ resolution: Int) -> StyleGAN1.DiscriminatorConfig {
        var c = StyleGAN1.DiscriminatorConfig(resolution: resolution)
        (c.fmapBase, c.fmapMax, c.mbstdGroupSize) = (64, 16, 2)
        return c
    }

    @Test func officialNames() throws {
        let g = try StyleGAN1.Generator(Self.generatorConfig(16), device: .cpu)
        let names = Set(g.stateDict().map(\.0))
        for name in ["lod", "dlatent_avg", "mapping.Dense0.weight", "mapping.Dense1.bias", "synthesis.noise0", "synthesis.noise5",
                     "synthesis.4x4.Const.const", "synthesis.4x4.Const.Noise.weight", "synthesis.4x4.Const.bias",
                     "synthesis.4x4.Const.StyleMod.weight", "synthesis.4x4.Conv.weight", "synthesis.8x8.Conv0_up.weight",
                     "synthesis.16x16.Conv1.StyleMod.bias", "synthesis.ToRGB_lod0.weight", "synthesis.ToRGB_lod2.bias"] {
            #expect(names.contains(name), "missing \(name)")
        }
        #expect(g.numWs == 6)
        let d = try StyleGAN1.Discriminator(Self.discriminatorConfig(16), device: .cpu)
        let dNames = Set(d.stateDict().map(\.0))
        for name in ["FromRGB_lod0.weight", "FromRGB_lod2.bias", "16x16.Conv0.weight", "16x16.Conv1_down.bias", "8x8.Conv1_down.weight",
                     "4x4.Conv.weight", "4x4.Dense0.weight", "4x4.Dense1.bias"] {
            #expect(dNames.contains(name), "missing \(name)")
        }
    }

    @Test(.enabled(if: testDevices.contains("opencl"), "no OpenCL platform to compare with the CPU reference"), arguments: [8, 16, 32])
    func backendsAgreeForwardAndBackward(_ resolution: Int) throws {
        let opencl = try Device.select("opencl")
        var results: [[[Float]]] = []
        for device in [Device.cpu, opencl] {
            let g = try StyleGAN1.Generator(Self.generatorConfig(resolution), seed: 3, device: device)
            let d = try StyleGAN1.Discriminator(Self.discriminatorConfig(resolution), seed: 4, device: device)
            // Perturb every parameter, as the StyleGAN2 reference does: at initialisation the 4×4
            // const is constant over space, so instance norm divides by √1e-8 and amplifies rounding.
            for (index, (_, p)) in (g.namedParameters() + d.namedParameters()).enumerated() {
                try p.assign(p.value + Tensor.uniform(p.shape, in: -0.2...0.2, seed: UInt64(index), on: device))
            }
            let z = try Tensor.uniform([4, 8], seed: 5, on: device)
            let lod = resolution == 8 ? 0.5 : 1.25
            let img = try g(z, lod: lod, noiseMode: .random, random: RandomStream(seed: 9))
            let logits = try d(img, lod: lod)
            let params = (g.namedParameters() + d.namedParameters()).map(\.1.value)
            let grads = try gradients(of: logits.softplus().sum(), wrt: params)
            results.append([try img.toArray(), try logits.toArray()] + (try grads.map { try $0.toArray() }))
        }
        for (index, (a, b)) in zip(results[0], results[1]).enumerated() {
            let scale = Swift.max(1e-3, a.map { abs($0) }.max() ?? 0)
            let error = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(error <= 1e-3 * scale, "output \(index) at \(resolution) px: error \(error), scale \(scale)")
        }
    }

    /// Officially, at lod = k + α the image is `(1 − α)·(image at lod k) + α·(image at lod k + 1)`.
    @Test func generatorFadeInIsTheOfficialBlend() throws {
        let g = try StyleGAN1.Generator(Self.generatorConfig(32), seed: 1, device: .cpu)
        for (n, p) in g.namedParameters() where n.hasSuffix("bias") || n.contains("Noise") {
            try p.assign(Tensor.uniform(p.shape, seed: 2, on: .cpu))  // exercise the biases and noise
        }
        let z = try Tensor.uniform([2, 8], seed: 3)
        for k in [0, 1] {
            let low = try g(z, lod: Double(k)), high = try g(z, lod: Double(k + 1))
            for alpha in [0.25, 0.7] {
                let blended = try g(z, lod: Double(k) + alpha)
                let expected = try low * (1 - alpha) + high * alpha
                #expect(try (blended - expected).abs().max().item() < 1e-5, "lod \(Double(k) + alpha)")
            }
            #expect(try (low - high).abs().max().item() > 1e-3, "lods \(k) and \(k + 1) should differ")
        }
        // At lod 2 (8×8 active) the image is the 8×8 RGB repeated in 4×4 pixel blocks.
        let img = try g(z, lod: 2).toArray()
        #expect(img[0] == img[1] && img[0] == img[3] && img[0] == img[32 * 3 + 3])
    }

    @Test func discriminatorFadeInIsContinuousAndIgnoresInactiveBlocks() throws {
        let d = try StyleGAN1.Discriminator(Self.discriminatorConfig(32), seed: 2, device: .cpu)
        let img = try Tensor.uniform([4, 3, 32, 32], seed: 4)
        for k in [0, 1, 2] {
            let before = try d(img, lod: Double(k + 1) - 1e-7).toArray()
            let at = try d(img, lod: Double(k + 1)).toArray()
            for (a, b) in zip(before, at) { #expect(abs(a - b) < 1e-4, "D jumps at lod \(k + 1)") }
        }
        // At lod 1 the 32×32 block and its FromRGB are inactive: changing them changes nothing.
        let reference = try d(img, lod: 1).toArray()
        for (name, p) in d.namedParameters() where name.hasPrefix("32x32") || name.hasPrefix("FromRGB_lod0") {
            try p.assign(Tensor.uniform(p.shape, seed: 7, on: .cpu))
        }
        #expect(try d(img, lod: 1).toArray() == reference)
        #expect(try d(img, lod: 0).toArray() != reference)
    }

    /// The fused up-sampling convolution is nearest up-sampling then the 3×3 kernel rotated by 180°;
    /// the fused down-sampling one is the convolution then a 2×2 average.
    @Test func fusedResamplingMatchesItsDefinition() throws {
        var random = InitRandom(seed: 5)
        let x = try Tensor.uniform([2, 3, 4, 4], seed: 6)
        let up = try StyleGAN1.Conv(3, 5, kernel: 3, gain: 2.0.squareRoot(), resample: .fusedUp, random: &random, device: .cpu)
        let w = try up.weight.value * up.coefficient
        let expectedUp = try x.upscale2d().conv2d(w.flip(axes: [2, 3]), padding: (1, 1))
        #expect(try (up(x) - expectedUp).abs().max().item() < 1e-5)
        let down = try StyleGAN1.Conv(3, 5, kernel: 3, gain: 2.0.squareRoot(), resample: .fusedDown, random: &random, device: .cpu)
        let x8 = try Tensor.uniform([2, 3, 8, 8], seed: 7)
        let expectedDown = try x8.conv2d(down.weight.value * down.coefficient, padding: (1, 1)).downscale2d()
        #expect(try (down(x8) - expectedDown).abs().max().item() < 1e-5)
    }

    @Test func networkFileRoundTrip() throws {
        let g = try StyleGAN1.Generator(Self.generatorConfig(16), seed: 1, device: .cpu)
        let d = try StyleGAN1.Discriminator(Self.discriminatorConfig(16), seed: 2, device: .cpu)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("v1-\(getpid()).safetensors").path
        try NetworkFile.write(NetworkFile.StyleGAN1Networks(G: g, D: d, G_ema: g), to: path)
        guard case .stylegan1(let read) = try NetworkFile.read(path: path, device: .cpu) else {
            Issue.record("not read back as stylegan1")
            return
        }
        let z = try Tensor.uniform([2, 8], seed: 3)
        #expect(try read.G_ema!(z).toArray() == g(z).toArray())
        #expect(try read.D!(g(z)).toArray() == d(g(z)).toArray())
    }
}
