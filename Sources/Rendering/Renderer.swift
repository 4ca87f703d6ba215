import Foundation
import ImageIO
import Networks
import SafeTensors
import Tensors

/// Renders images from a generator in batches on its device.
public struct Renderer {
    public let generator: ImageGenerator
    public var psi: Double = 1
    public var cutoff: Int? = nil
    public var noiseMode: NoiseMode = .const
    public var batchSize = 8

    public init(generator: ImageGenerator) { self.generator = generator }

    /// The truncation to render with when the user gives `psi` and `cutoff` or leaves them out: as
    /// given; else StyleGAN (v1)'s own defaults (the official `G_style` truncates with its
    /// `truncation_psi` 0.7 and `truncation_cutoff` 8 unless told otherwise); else none (StyleGAN2,
    /// as `generate.py`).
    public static func truncation(of generator: ImageGenerator, psi: Double?, cutoff: Int?) -> (psi: Double, cutoff: Int?) {
        if let psi { return (psi, cutoff) }
        if let v1 = generator as? StyleGAN1.Generator {
            return (v1.config.truncationPsi, cutoff ?? (v1.config.truncationCutoff > 0 ? Swift.min(v1.config.truncationCutoff, v1.numWs) : nil))
        }
        return (1, cutoff)
    }

    /// The latent of `seed`: `np.random.RandomState(seed).randn(1, z_dim)`, as the official generate.py draws it.
    public func latent(seed: UInt32) -> [Float] {
        var random = NumpyRandomState(seed: seed)
        return random.randn(generator.zDim).map { Float($0) }
    }

    /// Images `[N, C, R, R]` and ws for latents `[N, z_dim]`, computed in batches.
    /// Random noise is drawn from a stream seeded by `noiseSeed`, so rendering is deterministic.
    public func render(latents: [[Float]], noiseSeed: UInt64 = 0) throws -> (images: Tensor, ws: Tensor) {
        let ws = try ws(latents: latents)
        return (try synthesize(ws: ws, noiseSeed: noiseSeed), ws)
    }

    /// The ws `[N, num_ws, w_dim]` of latents `[N, z_dim]`: the mapping network with truncation only.
    public func ws(latents: [[Float]]) throws -> Tensor {
        let z = try Tensor(latents.flatMap { $0 }, shape: [latents.count, generator.zDim], on: generator.device)
        return try GradMode.disabled { try generator.mapping(z, psi: psi, cutoff: cutoff) }
    }

    /// 8-bit images from `[N, C, H, W]` in [-1, 1]: `clamp(x·127.5 + 128, 0, 255)` truncated, as the official code quantises.
    public static func quantize(_ images: Tensor) throws -> [PNGImage] {
        try quantize(images.toArray(), shape: images.shape)
    }

    /// `quantize` of images already read from the device: `values` in `[N, C, H, W]` order.
    public static func quantize(_ values: [Float], shape: [Int]) throws -> [PNGImage] {
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        return try (0..<n).map { i in
            var pixels = [UInt8](repeating: 0, count: h * w * c)
            for y in 0..<h {
                for x in 0..<w {
                    for ch in 0..<c {
                        let v = values[((i * c + ch) * h + y) * w + x] * 127.5 + 128
                        pixels[(y * w + x) * c + ch] = v.isNaN ? 0 : UInt8(Swift.min(Swift.max(v, 0), 255))
                    }
                }
            }
            return try PNGImage(width: w, height: h, channels: c == 1 || c == 3 ? c : 4, pixels: pixels)
        }
    }

    /// Reads latents `z` `[N, z_dim]` (float) from a safetensors file.
    public static func readLatents(path: String, zDim: Int) throws -> [[Float]] {
        let file = try SafeTensorsFile(path: path)
        guard let entry = file.entry("z") else {
            throw RenderError.latentsMissing(path: path, tensors: file.names)
        }
        guard entry.shape.count == 2, entry.shape[1] == zDim, entry.shape[0] >= 1 else {
            throw RenderError.latentsShape(path: path, shape: entry.shape, zDim: zDim)
        }
        let values = try file.floats("z")
        return (0..<entry.shape[0]).map { Array(values[($0 * zDim)..<(($0 + 1) * zDim)]) }
    }
}
