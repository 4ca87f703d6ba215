import Foundation
import Networks
import SafeTensors
import Tensors
import Testing

/// `sgan-gpu render` as a user runs it, on a network file made from the official reference parameters.
@Suite(.serialized) struct RenderCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/stylegan2-reference")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sgan-render-\(getpid())")

    /// The reference G as a network file, and the reference z as a latents file.
    func prepare() throws -> (network: String, latents: String, io: SafeTensorsFile) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let params = try SafeTensorsFile(path: Self.fixtures.appendingPathComponent("g_pert_params.safetensors").path)
        let configData = try Data(contentsOf: Self.fixtures.appendingPathComponent("config.json"))
        let config = try #require(try JSONSerialization.jsonObject(with: configData) as? [String: Any])
        let kwargs = try JSONDecoder().decode(StyleGAN2.GeneratorConfig.self,
                                              from: JSONSerialization.data(withJSONObject: try #require(config["G_kwargs"])))
        let g = try StyleGAN2.Generator(kwargs, device: .cpu)
        try g.load(Dictionary(uniqueKeysWithValues: params.names.map { name in
            (name, try Tensor(params.floats(name), shape: params.entry(name)!.shape))
        }))
        let network = folder.appendingPathComponent("reference.safetensors").path
        try NetworkFile.write(NetworkFile.StyleGAN2Networks(G_ema: g), to: network)
        let io = try SafeTensorsFile(path: Self.fixtures.appendingPathComponent("g_pert_io.safetensors").path)
        var latents = SafeTensorsWriter()
        latents.add("z", shape: [4, 64], values: try io.floats("z"))
        let latentsPath = folder.appendingPathComponent("z.safetensors").path
        try latents.write(to: latentsPath)
        return (network, latentsPath, io)
    }

    @Test(arguments: hasOpenCL ? ["cpu", "opencl"] : ["cpu"])
    func reproducesTheReferenceImages(_ device: String) throws {
        let (network, latents, io) = try prepare()
        let raw = folder.appendingPathComponent("raw-\(device).safetensors").path
        let result = try runCommand(["render", "--network", network, "--latents", latents, "--raw", raw,
                                     "--outdir", folder.appendingPathComponent("out-\(device)").path, "--device", device])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("rendered 4 images of 32x32"))
        let out = try SafeTensorsFile(path: raw)
        for (name, reference) in [("img", "img_const"), ("ws", "ws_psi1")] {
            let got = try out.floats(name), expected = try io.floats(reference)
            let scale = max(1, expected.map { abs($0) }.max()!)
            let error = zip(got, expected).map { abs($0 - $1) }.max()!
            print("render --device \(device): \(name) max error \(error)")
            #expect(error <= 1e-4 * scale, "\(name) on \(device): max error \(error)")
        }
        let png = folder.appendingPathComponent("out-\(device)/latent0003.png").path
        #expect(FileManager.default.fileExists(atPath: png))
    }

    @Test func seedsAreDeterministicAndByteIdentical() throws {
        let (network, _, _) = try prepare()
        var bytes: [Data] = []
        for run in 0..<2 {
            let outdir = folder.appendingPathComponent("seeds\(run)").path
            let result = try runCommand(["render", "--network", network, "--seeds", "3-4,9", "--psi", "0.7", "--outdir", outdir,
                                         "--device", "cpu"])
            #expect(result.status == 0, "\(result.err)")
            bytes.append(try Data(contentsOf: URL(fileURLWithPath: outdir + "/seed0009.png")))
            #expect(FileManager.default.fileExists(atPath: outdir + "/seed0003.png"))
        }
        #expect(bytes[0] == bytes[1])
    }

    @Test func badArgumentsGiveOneLineAndNonZeroExit() throws {
        let (network, latents, _) = try prepare()
        let cases: [([String], String)] = [
            (["--network", folder.appendingPathComponent("missing.safetensors").path, "--seeds", "1"], "does not exist"),
            (["--network", network, "--seeds", "5-2"], "runs backwards"),
            (["--network", network, "--seeds", "1", "--psi", "nan"], "--psi"),
            (["--network", network, "--seeds", "1", "--cutoff", "99"], "beyond the network's 8 ws"),
            (["--network", network], "either --seeds or --latents"),
            (["--network", latents, "--seeds", "1"], "not a network file"),
            (["--network", network, "--seeds", "1", "--noise-mode", "loud"], "--noise-mode"),
        ]
        for (arguments, message) in cases {
            let result = try runCommand(["render", "--device", "cpu"] + arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.err.contains(message), "\(arguments): \(result.err)")
            #expect(result.err.split(separator: "\n").filter { !$0.hasPrefix("Usage") && !$0.hasPrefix("  See") && !$0.isEmpty }.count == 1,
                    "\(arguments): \(result.err)")
        }
    }
}
