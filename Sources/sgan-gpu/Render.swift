import ArgumentParser
import Foundation
import Networks
import Rendering
import SafeTensors
import Tensors

/// `sgan-gpu render`: images from a network file for seeds or given latents.
struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render images from a network file.",
        discussion: "Seeds map to latents as the official generate.py draws them (np.random.RandomState(seed).randn). Images are written as seedNNNN.png, quantised as clamp(img*127.5+128, 0, 255).")

    @Option(help: "The network file (safetensors) to render from; G_ema is used when present.")
    var network: String

    @Option(help: "Seeds to render, such as 0-7,12.")
    var seeds: String?

    @Option(help: "A safetensors file with tensor z [N, z_dim] (float32) to render instead of seeds.")
    var latents: String?

    @Option(help: "Truncation psi (1: none).")
    var psi = 1.0

    @Option(help: "Truncate only the first K ws (default: all).")
    var cutoff: Int?

    @Option(name: .customLong("noise-mode"), help: "const, random or none.")
    var noiseMode = "const"

    @Option(help: "Folder for the PNG files (created when missing).")
    var outdir = "out"

    @Option(help: "Also write img [N,C,H,W] (before quantisation) and ws [N,num_ws,w_dim] to this safetensors file.")
    var raw: String?

    @Option(help: "Images per batch on the device.")
    var batch = 8

    @OptionGroup var options: DeviceOptions

    func validate() throws {
        guard psi.isFinite else { throw ValidationError("--psi must be a finite number, got \(psi)") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard NoiseMode(rawValue: noiseMode) != nil else {
            throw ValidationError("--noise-mode must be const, random or none, got '\(noiseMode)'")
        }
        guard (seeds == nil) != (latents == nil) else { throw ValidationError("give either --seeds or --latents (one of them)") }
        if let cutoff, cutoff < 0 { throw ValidationError("--cutoff must be 0 or more, got \(cutoff)") }
    }

    func run() throws {
        let seedList = try seeds.map(SeedList.parse)
        let device = try Device.select(options.device)
        guard let generator = try NetworkFile.read(path: network, device: device).generatorForRendering else {
            throw RenderError.badArgument("\(network) holds no generator (G or G_ema) to render with")
        }
        if let cutoff, cutoff > generator.numWs {
            throw RenderError.badArgument("--cutoff \(cutoff) is beyond the network's \(generator.numWs) ws")
        }
        var renderer = Renderer(generator: generator)
        renderer.psi = psi
        renderer.cutoff = cutoff
        renderer.noiseMode = NoiseMode(rawValue: noiseMode)!
        renderer.batchSize = batch
        let latents = try latents.map { try Renderer.readLatents(path: $0, zDim: generator.zDim) }
            ?? seedList!.map { renderer.latent(seed: $0) }
        let names = seedList.map { $0.map { String(format: "seed%04u.png", $0) } }
            ?? (0..<latents.count).map { String(format: "latent%04d.png", $0) }

        try FileManager.default.createDirectory(atPath: outdir, withIntermediateDirectories: true)
        let start = Date()
        let (images, ws) = try renderer.render(latents: latents, noiseSeed: UInt64(seedList?.first ?? 0))
        let pngs = try Renderer.quantize(images)
        let seconds = Date().timeIntervalSince(start)
        for (png, name) in zip(pngs, names) {
            try png.write(path: URL(fileURLWithPath: outdir).appendingPathComponent(name).path)
        }
        if let raw {
            var writer = SafeTensorsWriter()
            writer.add("img", shape: images.shape, values: try images.toArray())
            writer.add("ws", shape: ws.shape, values: try ws.toArray())
            try writer.write(to: raw)
        }
        let resolution = generator.imgResolution
        print("rendered \(pngs.count) images of \(resolution)x\(resolution) to \(outdir) in \(String(format: "%.2f", seconds)) s "
            + "(\(String(format: "%.2f", Double(pngs.count) / Swift.max(seconds, 1e-9))) images/s on \(device))")
    }
}
