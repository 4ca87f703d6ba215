import ArgumentParser
import Foundation
import Networks
import Rendering
import SafeTensors
import Tensors

/// `sgan-gpu render`: images from a network file for seeds or given latents.
struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render images and figures from a network file.",
        discussion: """
        Seeds map to latents as the official generate.py draws them (np.random.RandomState(seed).randn). Images are written as seedNNNN.png, quantised as clamp(img*127.5+128, 0, 255).
        Figures (--figure): grid (grid.png, --grid CxR, --labels), truncation (truncation.png: rows of seeds, columns of --psis), style-mixing (stylemix.png: the column seeds' images on top, the row seeds' on the left; each mixed image is its row's w with the --styles layers (coarse|middle|fine|A-B) taken from its column, as style_mixing.py), noise (noise.png: all, none, coarse, fine noise and the per-pixel standard deviation over --draws), interpolation (frameNNNNN.png, --frames per pair, --space w|z; interpolation.mp4 when ffmpeg is on the PATH).
        """)

    @Option(help: "images (one PNG per seed), grid, truncation, style-mixing, noise or interpolation.")
    var figure = "images"

    @Option(help: "Grid columns x rows (implies --figure grid).")
    var grid: String?

    @Flag(help: "Label grid images with their seeds, and truncation columns with psi.")
    var labels = false

    @Option(help: "Truncation figure: psi values of the columns, comma-separated.", transform: { try Render.parsePsis($0) })
    var psis: [Double] = [1, 0.7, 0.5, 0, -0.5, -1]

    /// `--psis`: a comma-separated list of finite numbers.
    static func parsePsis(_ text: String) throws -> [Double] {
        let values = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, let finite = values as? [Double], finite.allSatisfy(\.isFinite) else {
            throw ValidationError("give a comma-separated list of finite numbers")
        }
        return finite
    }

    @Option(name: .customLong("row-seeds"), help: "Style-mixing figure: seeds of the rows.")
    var rowSeeds: String?

    @Option(name: .customLong("col-seeds"), help: "Style-mixing figure: seeds of the columns.")
    var colSeeds: String?

    @Option(help: "Style-mixing figure: the layers each image takes from its column's seed: coarse, middle, fine, all or a range of ws like 0-3 (default: 0-6 for StyleGAN2 as style_mixing.py, coarse for StyleGAN v1).", transform: { try StyleLayers(parsing: $0) })
    var styles: StyleLayers?

    @Option(help: "Noise figure: noise draws for the standard deviation.")
    var draws = 32

    @Option(help: "Interpolation: frames per pair of seeds.")
    var frames = 30

    @Option(help: "Interpolation: w (linear in W) or z (spherical in Z).")
    var space = "w"

    @Option(help: "The network file (safetensors) to render from; G_ema is used when present.")
    var network: String

    @Option(help: "Seeds to render, such as 0-7,12.")
    var seeds: String?

    @Option(help: "A safetensors file with tensor z [N, z_dim] (float32) to render instead of seeds.")
    var latents: String?

    @Option(help: "Truncation psi (1: none). Default: 1 for StyleGAN2 (as generate.py); the network's own truncation_psi for StyleGAN v1 (0.7 in the official G_style), with its truncation_cutoff unless --cutoff is given.")
    var psi: Double?

    @Option(help: "Truncate only the first K ws (default: all for StyleGAN2; the network's truncation_cutoff, 8, for StyleGAN v1 without --psi).")
    var cutoff: Int?

    @Option(name: .customLong("noise-mode"), help: "const, random or none.")
    var noiseMode = NoiseMode.const

    @Option(help: "Folder for the PNG files (created when missing).")
    var outdir = "out"

    @Option(help: "Also write img [N,C,H,W] (before quantisation) and ws [N,num_ws,w_dim] to this safetensors file.")
    var raw: String?

    @Option(help: "Images per batch on the device.")
    var batch = 8

    @Flag(name: .customLong("allow-nonfinite"), help: "Render a network whose weights hold NaN or Inf (with a warning, and exit status 1) instead of refusing it.")
    var allowNonfinite = false

    @OptionGroup var options: DeviceOptions

    func validate() throws {
        try require("--psi", psi, in: -100...100)
        try require("--batch", batch, in: 1...1024)
        try require("--draws", draws, in: 2...10_000)
        try require("--frames", frames, in: 1...10_000)
        try require("--cutoff", cutoff, in: 0...1024)
        let kinds = ["images", "grid", "truncation", "style-mixing", "noise", "interpolation"]
        guard kinds.contains(figure) else { throw ValidationError("--figure must be one of \(kinds.joined(separator: ", ")), got '\(figure)'") }
        if effectiveFigure == "style-mixing" {
            guard rowSeeds != nil, colSeeds != nil else { throw ValidationError("--figure style-mixing needs --row-seeds and --col-seeds") }
        } else {
            guard (seeds == nil) != (latents == nil) else { throw ValidationError("give either --seeds or --latents (one of them)") }
        }
        if let grid, parseGrid(grid, limit: 256) == nil { throw ValidationError("--grid must look like 4x2, got '\(grid)'") }
        guard space == "w" || space == "z" else { throw ValidationError("--space must be w or z, got '\(space)'") }
    }

    var effectiveFigure: String { figure == "images" && grid != nil ? "grid" : figure }


    func run() throws {
        let seedList = try seeds.map(SeedList.parse)
        let rowSeedList = try rowSeeds.map(SeedList.parse), colSeedList = try colSeeds.map(SeedList.parse)
        let device = try options.selected()
        guard let generator = try NetworkFile.read(path: network, device: device).generatorForRendering else {
            throw RenderError.noGenerator(path: network)
        }
        let nonFiniteTensor = try (generator as? Layer).flatMap { try Layer.firstNonFinite($0.stateDict()) }
        if let bad = nonFiniteTensor {
            guard allowNonfinite else {
                throw RenderError.nonFiniteTensor(path: network, tensor: bad)
            }
            FileHandle.standardError.write(Data("warning: \(network): tensor \(bad) holds NaN or Inf; rendering anyway (--allow-nonfinite), and exiting with status 1\n".utf8))
        }
        if let cutoff, cutoff > generator.numWs {
            throw RenderError.cutoffBeyondWs(cutoff: cutoff, numWs: generator.numWs)
        }
        var renderer = Renderer(generator: generator)
        (renderer.psi, renderer.cutoff) = Renderer.truncation(of: generator, psi: psi, cutoff: cutoff)
        renderer.noiseMode = noiseMode
        renderer.batchSize = batch
        let figures = Figures(renderer: renderer)
        // Latents from a file are held (the file is); from seeds they are made as each batch needs them.
        let fileLatents = try latents.map { try Renderer.readLatents(path: $0, zDim: generator.zDim) }
        let count = fileLatents?.count ?? seedList?.count ?? 0
        func latent(_ i: Int) -> [Float] { fileLatents?[i] ?? renderer.latent(seed: seedList![i]) }
        func name(_ i: Int) -> String { seedList.map { String(format: "seed%04u", $0[i]) } ?? String(format: "latent%04d", i) }

        try FileManager.default.createDirectory(atPath: outdir, withIntermediateDirectories: true)
        func path(_ name: String) -> String { URL(fileURLWithPath: outdir).appendingPathComponent(name).path }
        let start = Date()
        var rendered = 0
        let latents = effectiveFigure == "images" || effectiveFigure == "style-mixing" ? [] : (0..<count).map(latent)
        let names = effectiveFigure == "grid" ? (0..<count).map(name) : []
        switch effectiveFigure {
        case "grid":
            let (columns, rows) = grid.flatMap { parseGrid($0, limit: 256) } ?? (min(latents.count, 8), min(256, max(1, (latents.count + 7) / 8)))
            try figures.grid(latents: latents, columns: columns, rows: rows, labels: labels ? names.map { String($0.drop { !$0.isNumber }) } : nil)
                .write(path: path("grid.png"))
            rendered = min(latents.count, columns * rows)
        case "truncation":
            try figures.truncationSweep(latents: latents, psis: psis, cutoff: cutoff, labels: labels).write(path: path("truncation.png"))
            rendered = latents.count * psis.count
        case "style-mixing":
            let rows = rowSeedList!.map { renderer.latent(seed: $0) }, columns = colSeedList!.map { renderer.latent(seed: $0) }
            try figures.styleMixing(rowLatents: rows, columnLatents: columns, styles: styles.map { try figures.layers($0) } ?? figures.defaultStyleLayers).write(path: path("stylemix.png"))
            rendered = rows.count * columns.count + rows.count + columns.count
        case "noise":
            try figures.noise(latents: latents, draws: draws, seed: UInt64(seedList?.first ?? 0)).write(path: path("noise.png"))
            rendered = latents.count * (4 + draws)
        case "interpolation":
            let frames = try figures.interpolation(latents: latents, framesPerStep: self.frames, space: space)
            for (i, frame) in frames.enumerated() { try frame.write(path: path(String(format: "frame%05d.png", i))) }
            rendered = frames.count
            try encodeVideo()
        default:
            // Each batch's images are written as soon as it is done; only --raw keeps them all.
            var rawImages: [Float] = [], rawWs: [Float] = [], shapes: (img: [Int], ws: [Int]) = ([0], [0])
            var nonFinite = 0
            try renderer.renderInBatches(count: count, latent: latent, noiseSeed: UInt64(seedList?.first ?? 0)) { range, images, ws in
                let values = try images.toArray()   // read once: counted, quantised and kept for --raw
                nonFinite += values.lazy.filter { !$0.isFinite }.count
                for (i, png) in zip(range, try Renderer.quantize(values, shape: images.shape)) { try png.write(path: path(name(i) + ".png")) }
                if raw != nil {
                    rawImages += values
                    rawWs += try ws.toArray()
                    shapes = ([range.upperBound] + images.shape.dropFirst(), [range.upperBound] + ws.shape.dropFirst())
                }
            }
            if let raw {
                var writer = SafeTensorsWriter()
                writer.add("img", shape: shapes.img, values: rawImages)
                writer.add("ws", shape: shapes.ws, values: rawWs)
                try writer.write(to: raw)
            }
            rendered = count
            if nonFinite > 0 && !allowNonfinite {
                throw RenderError.nonFiniteImages(count: nonFinite)
            }
        }
        let seconds = Date().timeIntervalSince(start)
        let resolution = generator.imgResolution
        print("rendered \(rendered) images of \(resolution)x\(resolution) to \(outdir) in \(String(format: "%.2f", seconds)) s "
            + "(\(String(format: "%.2f", Double(rendered) / Swift.max(seconds, 1e-9))) images/s on \(device))")
        if nonFiniteTensor != nil { throw ExitCode.failure }
    }

    /// interpolation.mp4 from the frames, when ffmpeg is on the PATH.
    func encodeVideo() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-y", "-loglevel", "error", "-framerate", "30", "-i", outdir + "/frame%05d.png",
                             "-pix_fmt", "yuv420p", "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2", outdir + "/interpolation.mp4"]
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
            if process.terminationStatus == 0 { print("wrote \(outdir)/interpolation.mp4") } else { print("ffmpeg not found or failed: frames only") }
        } catch {
            print("ffmpeg not found: frames only")
        }
    }
}
