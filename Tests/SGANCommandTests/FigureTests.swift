import Foundation
import ImageIO
import Networks
import Rendering
import SafeTensors
import Tensors
import Testing

/// `render` figures on a small trained-shape network (StyleGAN2 and v1).
@Suite(.serialized) struct FigureTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sgan-figures-\(getpid())").path

    /// A StyleGAN2 network at 32×32 (8 ws) and a v1 network at 16×16, as network files.
    func networks() throws -> (v2: String, v1: String) {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var g = StyleGAN2.GeneratorConfig()
        (g.zDim, g.wDim, g.imgResolution, g.mapping.numLayers, g.synthesis.channelBase, g.synthesis.channelMax) = (16, 16, 32, 2, 128, 8)
        let v2 = try StyleGAN2.Generator(g, seed: 3, device: .cpu)
        for (_, p) in v2.namedParameters() where p.shape == [] { try p.assign(Tensor.full(0.5, shape: [])) }  // noise on
        try NetworkFile.write(NetworkFile.StyleGAN2Networks(G_ema: v2), to: folder + "/v2.safetensors")
        var c = StyleGAN1.GeneratorConfig(resolution: 16)
        (c.latentSize, c.dlatentSize, c.mappingFmaps, c.mappingLayers, c.fmapBase, c.fmapMax) = (16, 16, 16, 2, 64, 8)
        try NetworkFile.write(NetworkFile.StyleGAN1Networks(G_ema: try StyleGAN1.Generator(c, seed: 4, device: .cpu)), to: folder + "/v1.safetensors")
        return (folder + "/v2.safetensors", folder + "/v1.safetensors")
    }

    func render(_ arguments: [String], into name: String) throws -> String {
        let out = folder + "/" + name
        let result = try runCommand(["render", "--device", "cpu", "--outdir", out] + arguments)
        #expect(result.status == 0, "\(arguments): \(result.err)")
        #expect(result.out.contains("images/s"))
        return out
    }

    @Test func figuresHaveTheirSizesForBothArchitectures() throws {
        let (v2, v1) = try networks()
        for (network, r) in [(v2, 32), (v1, 16)] {
            let tag = network == v2 ? "v2" : "v1"
            var out = try render(["--network", network, "--seeds", "0-5", "--grid", "3x2", "--labels"], into: "grid-\(tag)")
            var png = try PNGImage.read(path: out + "/grid.png")
            #expect((png.width, png.height) == (3 * r, 2 * r))
            out = try render(["--network", network, "--seeds", "0-1", "--figure", "truncation", "--psis", "1,0.5,0,-1"], into: "trunc-\(tag)")
            png = try PNGImage.read(path: out + "/truncation.png")
            #expect((png.width, png.height) == (4 * r, 2 * r))
            out = try render(["--network", network, "--row-seeds", "0-2", "--col-seeds", "5-6", "--figure", "style-mixing", "--styles", tag == "v2" ? "middle" : "fine"], into: "mix-\(tag)")
            png = try PNGImage.read(path: out + "/stylemix.png")
            #expect((png.width, png.height) == (3 * r, 4 * r))
            out = try render(["--network", network, "--seeds", "0-1", "--figure", "noise", "--draws", "4"], into: "noise-\(tag)")
            png = try PNGImage.read(path: out + "/noise.png")
            #expect((png.width, png.height) == (5 * r, 2 * r))
            out = try render(["--network", network, "--seeds", "0,1,2", "--figure", "interpolation", "--frames", "3", "--space", tag == "v2" ? "z" : "w"], into: "interp-\(tag)")
            #expect(FileManager.default.fileExists(atPath: out + "/frame00006.png"))
            #expect(!FileManager.default.fileExists(atPath: out + "/frame00007.png"))
        }
    }

    @Test func figuresAreByteIdenticalForTheSameArguments() throws {
        let (v2, _) = try networks()
        for figure in [["--grid", "2x2"], ["--figure", "noise", "--draws", "3"], ["--figure", "truncation"]] {
            let a = try render(["--network", v2, "--seeds", "0-3"] + figure, into: "same-a"), b = try render(["--network", v2, "--seeds", "0-3"] + figure, into: "same-b")
            for name in try FileManager.default.contentsOfDirectory(atPath: a) {
                #expect(try Data(contentsOf: URL(fileURLWithPath: a + "/" + name)) == Data(contentsOf: URL(fileURLWithPath: b + "/" + name)), "\(figure) \(name)")
            }
        }
    }

    /// As the official style_mixing.py: each cell is its row seed's w with the `styles` layers taken
    /// from its column seed, so taking every layer gives the column's own image.
    @Test func styleMixingTakesTheStylesFromTheColumn() throws {
        let (v2, v1) = try networks()
        guard case .stylegan2(let read) = try NetworkFile.read(path: v2, device: .cpu), let g = read.G_ema,
              case .stylegan1(let readV1) = try NetworkFile.read(path: v1, device: .cpu), let gV1 = readV1.G_ema else {
            Issue.record("not the networks written")
            return
        }
        // Which seed's ws land in which layers.
        let row = try Tensor.zeros([1, 8, 4]), column = try Tensor.full(1, shape: [1, 8, 4])
        let mixed = try Figures.mix(row: row, column: column, styles: 2..<5).toArray()
        for layer in 0..<8 {
            let expected: Float = (2..<5).contains(layer) ? 1 : 0
            #expect(mixed[(layer * 4)..<(layer * 4 + 4)].allSatisfy { $0 == expected }, "layer \(layer)")
        }
        let figures = Figures(renderer: Renderer(generator: g))
        let rows = [figures.renderer.latent(seed: 1), figures.renderer.latent(seed: 2)], columns = [figures.renderer.latent(seed: 7)]
        let all = try figures.styleMixing(rowLatents: rows, columnLatents: columns, styles: figures.layers(.all))
        let r = 32
        func tile(_ image: PNGImage, _ x: Int, _ y: Int) -> [UInt8] {
            var out: [UInt8] = []
            for row in 0..<r {
                let start: Int = ((y * r + row) * image.width + x * r) * 3
                out += image.pixels[start..<(start + r * 3)]
            }
            return out
        }
        for row in 1...2 { #expect(tile(all, 1, row) == tile(all, 1, 0), "row \(row): all layers from the column is not the column image") }
        let coarse = try figures.styleMixing(rowLatents: rows, columnLatents: columns, styles: figures.layers(.coarse))
        #expect(tile(coarse, 1, 1) != tile(coarse, 0, 1) && tile(coarse, 1, 1) != tile(coarse, 1, 0))
        #expect(try figures.layers(.coarse) == 0..<3 && figures.layers(.middle) == 3..<5 && figures.layers(.fine) == 5..<8)
        // Defaults: style_mixing.py's 0-6 for StyleGAN2, the coarse layers for v1.
        #expect(try figures.defaultStyleLayers == 0..<7)
        let figuresV1 = Figures(renderer: Renderer(generator: gV1))
        #expect(try figuresV1.defaultStyleLayers == figuresV1.layers(.coarse))
    }

    /// A StyleGAN (v1) network renders with its own truncation (psi 0.7, cutoff 8) unless --psi is
    /// given, as the official G_style; StyleGAN2 renders untruncated, as generate.py.
    @Test func v1RendersWithItsOwnTruncationByDefault() throws {
        let (v2, v1) = try networks()
        // Move dlatent_avg away from zero so that truncation shows.
        guard case .stylegan1(let read) = try NetworkFile.read(path: v1, device: .cpu), let g = read.G_ema else {
            Issue.record("not a v1 file")
            return
        }
        g.dlatentAvg.value = try Tensor.full(0.8, shape: [16])
        let shifted = folder + "/v1-avg.safetensors"
        try NetworkFile.write(NetworkFile.StyleGAN1Networks(G_ema: g), to: shifted)
        func image(_ network: String, _ extra: [String], _ name: String) throws -> Data {
            let out = try render(["--network", network, "--seeds", "3"] + extra, into: name)
            return try Data(contentsOf: URL(fileURLWithPath: out + "/seed0003.png"))
        }
        let plain = try image(shifted, [], "v1-default")
        #expect(plain == (try image(shifted, ["--psi", "0.7", "--cutoff", "6"], "v1-explicit")))
        #expect(plain != (try image(shifted, ["--psi", "1"], "v1-none")))
        #expect(try image(v2, [], "v2-default") == (try image(v2, ["--psi", "1"], "v2-none")))
        let defaults = Renderer.truncation(of: g, psi: nil, cutoff: nil)
        #expect(defaults.psi == 0.7 && defaults.cutoff == 6)   // cutoff 8, capped at this network's 6 layers
    }

    /// An official pickle given to render points to the converter instead of a header error.
    @Test func aPickleIsPointedToTheConverter() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let pickle = folder + "/network-snapshot-000100.pkl"
        try Data([0x80, 0x04, 0x95, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x7D, 0x94, 0x2E]).write(to: URL(fileURLWithPath: pickle))
        let result = try runCommand(["render", "--network", pickle, "--seeds", "0", "--device", "cpu", "--outdir", folder + "/pkl"])
        #expect(result.status != 0)
        #expect(result.err.contains("is a Python pickle") && result.err.contains("tools/convert_official.py"), "\(result.err)")
        #expect(result.err.split(separator: "\n").count == 1)
    }

    @Test func badFigureArgumentsGiveOneLine() throws {
        let (v2, _) = try networks()
        let cases: [([String], String)] = [
            (["--seeds", "0", "--figure", "collage"], "--figure must be one of"),
            (["--figure", "style-mixing", "--row-seeds", "0"], "needs --row-seeds and --col-seeds"),
            (["--row-seeds", "0", "--col-seeds", "1", "--figure", "style-mixing", "--styles", "3-99"], "outside the network's 8 ws"),
            (["--row-seeds", "0", "--col-seeds", "1", "--figure", "style-mixing", "--styles", "lumpy"], "is not coarse, middle, fine"),
            (["--seeds", "0", "--figure", "truncation", "--psis", "1,nan"], "--psis"),
            (["--seeds", "0", "--grid", "3by2"], "--grid"),
            (["--seeds", "0", "--figure", "interpolation"], "at least two"),
        ]
        for (arguments, message) in cases {
            let result = try runCommand(["render", "--network", v2, "--device", "cpu", "--outdir", folder + "/bad"] + arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.err.contains(message) && result.err.split(separator: "\n").count == 1, "\(arguments): \(result.err)")
        }
    }
}
