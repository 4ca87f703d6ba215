import Foundation
import ImageIO
import Networks
import Tensors

/// Which ws a figure takes: a level of detail of the papers' figures, or ws `A-B` (inclusive).
public enum StyleLayers: Equatable, Sendable, CustomStringConvertible {
    case coarse, middle, fine, all
    case ws(ClosedRange<Int>)

    /// `coarse`, `middle`, `fine`, `all`, `A-B` or `A`.
    public init(parsing text: String) throws {
        switch text {
        case "coarse": self = .coarse
        case "middle": self = .middle
        case "fine": self = .fine
        case "all": self = .all
        default:
            let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard (1...2).contains(parts.count), let low = parts.first ?? nil, let high = parts.last ?? nil, low >= 0, low <= high else {
                throw RenderError.badStyles(text)
            }
            self = .ws(low...high)
        }
    }

    public var description: String {
        switch self {
        case .coarse: return "coarse"
        case .middle: return "middle"
        case .fine: return "fine"
        case .all: return "all"
        case .ws(let range): return "\(range.lowerBound)-\(range.upperBound)"
        }
    }
}

/// The StyleGAN papers' figures: grids, truncation sweeps, style mixing by level of detail, noise
/// control, and interpolations. Images are rendered in batches on the generator's device.
public struct Figures {
    public var renderer: Renderer
    public init(renderer: Renderer) { self.renderer = renderer }
    var generator: ImageGenerator { renderer.generator }

    // MARK: Layer groups

    /// The ws of the layers at resolutions the group covers: coarse 4²–8², middle 16²–32², fine
    /// 64² and up (for networks below 64², fine is the top resolution and middle what lies between).
    public func layers(_ group: StyleLayers) throws -> Range<Int> {
        let top = generator.imgResolution
        let accepts: (Int) -> Bool
        switch group {
        case .coarse: accepts = { $0 <= 8 }
        case .middle: accepts = { $0 >= 16 && (top >= 64 ? $0 <= 32 : $0 < top) }
        case .fine: accepts = { top >= 64 ? $0 >= 64 : $0 == top && top > 8 }
        case .all: accepts = { _ in true }
        case .ws(let range):
            guard range.upperBound < generator.numWs else {
                throw RenderError.stylesOutsideNetwork(group, numWs: generator.numWs)
            }
            return range.lowerBound..<(range.upperBound + 1)
        }
        let indices = (0..<generator.numWs).filter { accepts(generator.resolution(ofW: $0)) }
        guard let first = indices.first, let last = indices.last else {
            throw RenderError.noLayersInGroup(group, resolution: top)
        }
        return first..<(last + 1)
    }

    /// The style-mixing figure's default layers: ws 0-6 for StyleGAN2 (`style_mixing.py`'s
    /// `--styles` default, capped at the network's ws), the coarse layers for StyleGAN (v1) (the
    /// first row of the paper's figure in `generate_figures.py`).
    public var defaultStyleLayers: Range<Int> {
        get throws {
            generator is StyleGAN1.Generator ? try layers(.coarse) : 0..<Swift.min(7, generator.numWs)
        }
    }

    // MARK: Figures

    /// One image per latent, `columns` × `rows` in a grid, optionally labelled.
    public func grid(latents: [[Float]], columns: Int, rows: Int, labels: [String]? = nil) throws -> PNGImage {
        let count = Swift.min(latents.count, columns * rows)
        var tiles = try Renderer.quantize(renderer.render(latents: Array(latents.prefix(count))).images)
        if let labels { tiles = zip(tiles, labels).map { Label.draw($1, on: $0) } }
        return try Figures.compose((0..<rows).map { r in (0..<columns).map { c in r * columns + c < tiles.count ? tiles[r * columns + c] : nil } })
    }

    /// Rows of seeds, columns of psi values (truncation toward the tracked average w).
    public func truncationSweep(latents: [[Float]], psis: [Double], cutoff: Int?, labels: Bool) throws -> PNGImage {
        var rows: [[PNGImage?]] = latents.map { _ in [] }
        for psi in psis {
            var r = renderer
            (r.psi, r.cutoff) = (psi, cutoff)
            let tiles = try Renderer.quantize(r.render(latents: latents).images)
            for (i, tile) in tiles.enumerated() { rows[i].append(labels && i == 0 ? Label.draw("psi \(psi)", on: tile) : tile) }
        }
        return try Figures.compose(rows)
    }

    /// The style-mixing figure, as the official `style_mixing.py` and v1's `generate_figures.py`
    /// draw it: the top row holds the column seeds' images, the left column the row seeds'; the
    /// image in row r and column c is row r's w with the `styles` layers copied from column c.
    public func styleMixing(rowLatents: [[Float]], columnLatents: [[Float]], styles: Range<Int>) throws -> PNGImage {
        let rowWs = try renderer.ws(latents: rowLatents), columnWs = try renderer.ws(latents: columnLatents)
        var mixed: [Tensor] = []
        for r in 0..<rowLatents.count {
            for c in 0..<columnLatents.count {
                mixed.append(try Figures.mix(row: rowWs.slice(axis: 0, r..<(r + 1)), column: columnWs.slice(axis: 0, c..<(c + 1)), styles: styles))
            }
        }
        let images = try renderer.synthesize(ws: Tensor.concat([rowWs, columnWs] + mixed, axis: 0))
        let tiles = try Renderer.quantize(images)
        let (nr, nc) = (rowLatents.count, columnLatents.count)
        var top: [PNGImage?] = [nil]
        for c in 0..<nc { top.append(tiles[nr + c]) }
        var grid: [[PNGImage?]] = [top]
        for r in 0..<nr {
            var row: [PNGImage?] = [tiles[r]]
            for c in 0..<nc { row.append(tiles[nr + nc + r * nc + c]) }
            grid.append(row)
        }
        return try Figures.compose(grid)
    }

    /// ws `[N, num_ws, w_dim]` of `row` with the layers `styles` taken from `column`: the official
    /// figure starts from the row seed's w and overwrites the `col_styles` layers with the column seed's.
    public static func mix(row: Tensor, column: Tensor, styles: Range<Int>) throws -> Tensor {
        let numWs = row.shape[1]
        var parts: [Tensor] = []
        if styles.lowerBound > 0 { parts.append(try row.slice(axis: 1, 0..<styles.lowerBound)) }
        parts.append(try column.slice(axis: 1, styles))
        if styles.upperBound < numWs { parts.append(try row.slice(axis: 1, styles.upperBound..<numWs)) }
        return parts.count == 1 ? parts[0] : try Tensor.concat(parts, axis: 1)
    }

    /// Per seed: random noise on all layers, no noise, coarse noise only, fine noise only, and the
    /// per-pixel standard deviation over `draws` noise draws (bright: the noise changes it most).
    public func noise(latents: [[Float]], draws: Int, seed: UInt64) throws -> PNGImage {
        let ws = try renderer.ws(latents: latents)
        let (coarse, fine) = (try layers(.coarse), try? layers(.fine))
        let coarseMax = generator.resolution(ofW: coarse.upperBound - 1)
        let fineMin = fine.map { generator.resolution(ofW: $0.lowerBound) } ?? Int.max
        let onlyCoarse: (Int) -> Bool = { $0 <= coarseMax }
        let onlyFine: (Int) -> Bool = { $0 >= fineMin }
        let variants: [(NoiseMode, ((Int) -> Bool)?)] = [(.random, nil), (.none, nil), (.random, onlyCoarse), (.random, onlyFine)]
        var columns: [[PNGImage]] = []
        for (mode, at) in variants {
            columns.append(try Renderer.quantize(renderer.synthesize(ws: ws, noiseMode: mode, noiseAt: at, noiseSeed: seed)))
        }
        // Standard deviation over draws, per pixel (mean over channels), scaled to the brightest pixel.
        var sum: Tensor? = nil, squares: Tensor? = nil
        for draw in 0..<draws {
            let img = try renderer.synthesize(ws: ws, noiseMode: .random, noiseAt: nil, noiseSeed: seed &+ 1 &+ UInt64(draw))
            sum = try sum.map { try $0 + img } ?? img
            squares = try squares.map { try $0 + img.square() } ?? img.square()
        }
        let mean = try sum! / Double(draws)
        let std = try (squares! / Double(draws) - mean.square()).clamp(min: 0, max: .infinity).sqrt().mean(axes: [1], keepDims: true)
        let peak = Swift.max(Double(try std.max().item()), 1e-8)
        let c = generator.imgChannels
        let map = try std.expand(to: [latents.count, c, generator.imgResolution, generator.imgResolution]) * (2 / peak) - 1.0
        columns.append(try Renderer.quantize(map))
        return try Figures.compose((0..<latents.count).map { i in columns.map { $0[i] } })
    }

    /// Interpolation frames through the latents in order, `framesPerStep` per pair: linear in W, or
    /// spherical in Z (then mapped).
    public func interpolation(latents: [[Float]], framesPerStep: Int, space: String) throws -> [PNGImage] {
        guard latents.count >= 2 else { throw RenderError.tooFewLatentsToInterpolate(latents.count) }
        var frames: [PNGImage] = []
        let ws = try renderer.ws(latents: latents)
        for i in 0..<(latents.count - 1) {
            let ts = (0..<framesPerStep).map { Double($0) / Double(framesPerStep) }
            let batch = space == "z"
                ? try renderer.ws(latents: ts.map { Figures.slerp(latents[i], latents[i + 1], $0) })
                : try Tensor.concat(ts.map { try ws.slice(axis: 0, i..<(i + 1)).lerp(ws.slice(axis: 0, (i + 1)..<(i + 2)), $0) }, axis: 0)
            frames += try Renderer.quantize(renderer.synthesize(ws: batch))
        }
        frames += try Renderer.quantize(renderer.synthesize(ws: ws.slice(axis: 0, (latents.count - 1)..<latents.count)))
        return frames
    }

    /// Spherical interpolation between two latents.
    static func slerp(_ a: [Float], _ b: [Float], _ t: Double) -> [Float] {
        let na = a.reduce(0) { $0 + Double($1 * $1) }.squareRoot(), nb = b.reduce(0) { $0 + Double($1 * $1) }.squareRoot()
        let dot = zip(a, b).reduce(0) { $0 + Double($1.0 * $1.1) } / Swift.max(na * nb, 1e-12)
        let omega = acos(Swift.min(Swift.max(dot, -1), 1))
        if omega < 1e-6 { return zip(a, b).map { Float(Double($0) * (1 - t) + Double($1) * t) } }
        let (wa, wb) = (sin((1 - t) * omega) / sin(omega), sin(t * omega) / sin(omega))
        return zip(a, b).map { Float(Double($0) * wa + Double($1) * wb) }
    }

    /// Tiles into one image; nil cells stay black.
    static func compose(_ grid: [[PNGImage?]]) throws -> PNGImage {
        guard let sample = grid.joined().compactMap({ $0 }).first else { throw RenderError.nothingToDraw }
        let (r, c) = (sample.width, sample.channels)
        let columns = grid.map(\.count).max() ?? 0
        var pixels = [UInt8](repeating: 0, count: grid.count * r * columns * r * c)
        for (gy, row) in grid.enumerated() {
            for (gx, tile) in row.enumerated() {
                guard let tile else { continue }
                for y in 0..<r {
                    let to = ((gy * r + y) * columns * r + gx * r) * c
                    pixels.replaceSubrange(to..<(to + r * c), with: tile.pixels[(y * r * c)..<((y + 1) * r * c)])
                }
            }
        }
        return try PNGImage(width: columns * r, height: grid.count * r, channels: c, pixels: pixels)
    }
}

extension Renderer {
    /// Renders `count` latents in batches of `batchSize`, the latents made on demand by `latent`,
    /// and hands each batch's range, images `[n, C, R, R]` and ws to `body` as soon as it is done:
    /// memory stays bounded by one batch, however many images are rendered. Random noise comes
    /// from one stream seeded by `noiseSeed`, as in `synthesize`.
    public func renderInBatches(count: Int, latent: (Int) throws -> [Float], noiseSeed: UInt64 = 0,
                                _ body: (Range<Int>, Tensor, Tensor) throws -> Void) throws {
        let random = RandomStream(seed: noiseSeed)
        for start in stride(from: 0, to: count, by: batchSize) {
            let range = start..<Swift.min(start + batchSize, count)
            let ws = try self.ws(latents: range.map(latent))
            let images = try GradMode.disabled { try generator.synthesize(ws, noiseMode: noiseMode, random: random, noiseAt: nil) }
            try body(range, images, ws)
        }
    }

    /// Images for given ws, in batches, with noise as chosen.
    public func synthesize(ws: Tensor, noiseMode: NoiseMode? = nil, noiseAt: ((Int) -> Bool)? = nil, noiseSeed: UInt64 = 0) throws -> Tensor {
        let random = RandomStream(seed: noiseSeed)
        var images: [Tensor] = []
        for start in stride(from: 0, to: ws.shape[0], by: batchSize) {
            let batch = try ws.slice(axis: 0, start..<Swift.min(start + batchSize, ws.shape[0]))
            images.append(try GradMode.disabled {
                try generator.synthesize(batch, noiseMode: noiseMode ?? self.noiseMode, random: random, noiseAt: noiseAt)
            })
        }
        return try Tensor.concat(images, axis: 0)
    }
}

/// A 3×5 pixel font for short labels (digits, a few letters and signs), drawn white on a dark band.
enum Label {
    static let glyphs: [Character: [String]] = [
        "0": ["###", "#.#", "#.#", "#.#", "###"], "1": [".#.", "##.", ".#.", ".#.", "###"],
        "2": ["###", "..#", "###", "#..", "###"], "3": ["###", "..#", "###", "..#", "###"],
        "4": ["#.#", "#.#", "###", "..#", "..#"], "5": ["###", "#..", "###", "..#", "###"],
        "6": ["###", "#..", "###", "#.#", "###"], "7": ["###", "..#", "..#", "..#", "..#"],
        "8": ["###", "#.#", "###", "#.#", "###"], "9": ["###", "#.#", "###", "..#", "###"],
        "-": ["...", "...", "###", "...", "..."], ".": ["...", "...", "...", "...", ".#."],
        "p": ["##.", "#.#", "##.", "#..", "#.."], "s": [".##", "#..", ".#.", "..#", "##."],
        "i": [".#.", "...", ".#.", ".#.", ".#."], " ": ["...", "...", "...", "...", "..."],
    ]

    /// `text` in the image's top-left corner, scaled with the image size.
    static func draw(_ text: String, on image: PNGImage) -> PNGImage {
        var out = image
        let scale = Swift.max(1, image.width / 64), c = image.channels
        let width = Swift.min(image.width, (text.count * 4 + 1) * scale), height = Swift.min(image.height, 7 * scale)
        for y in 0..<height { for x in 0..<width { for ch in 0..<c { out.pixels[(y * image.width + x) * c + ch] /= 3 } } }
        for (i, character) in text.enumerated() {
            guard let glyph = glyphs[character] else { continue }
            for (gy, row) in glyph.enumerated() {
                for (gx, bit) in row.enumerated() where bit == "#" {
                    for sy in 0..<scale {
                        for sx in 0..<scale {
                            let (x, y) = ((1 + i * 4 + gx) * scale + sx, (1 + gy) * scale + sy)
                            guard x < image.width, y < image.height else { continue }
                            for ch in 0..<c { out.pixels[(y * image.width + x) * c + ch] = 255 }
                        }
                    }
                }
            }
        }
        return out
    }
}
