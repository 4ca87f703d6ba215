import Foundation
import Testing
import ZIPFoundation

/// Bad input on the command line: one clear `error:` line and a non-zero exit, nothing half-written.
@Suite struct BadInputTests {
    let tiny = ["--resolution", "8", "--cbase", "32", "--cmax", "4", "--map", "1", "--zdim", "8", "--device", "cpu"]
    static let formats = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/images/formats")

    func folder(_ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sgan-bad-\(name)-\(getpid())").path
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func expectOneLine(_ arguments: [String], _ message: String, status: Int32? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try runCommand(arguments)
        #expect(result.status != 0, "\(arguments) succeeded", sourceLocation: sourceLocation)
        if let status { #expect(result.status == status, "\(arguments): status \(result.status)", sourceLocation: sourceLocation) }
        let lines = result.err.split(separator: "\n")
        #expect(lines.count == 1 && result.err.hasPrefix("error: ") && result.err.contains(message),
                "\(arguments): \(result.err)", sourceLocation: sourceLocation)
    }

    @Test func trainArguments() throws {
        let out = try folder("train-args")
        try expectOneLine(["train", "--outdir", out, "--preset", "paper9000"] + tiny, "'paper9000' is invalid for '--preset <preset>'. Please provide one of the following: auto, stylegan2, paper256", status: 64)
        try expectOneLine(["train", "--outdir", out, "--batch", "6", "--mbstd-group", "4"] + tiny, "batch 6 is not divisible by the minibatch-std group size 4")
        try expectOneLine(["train", "--outdir", out, "--data", out + "/missing"] + tiny, "does not exist")
        try expectOneLine(["train", "--outdir", out, "--resolution", "24"], "--resolution must be a power of two from 4 to 8192, got 24", status: 64)
        try expectOneLine(["train", "--outdir", out, "--kimg=-1"] + tiny, "--kimg must lie in", status: 64)
        try expectOneLine(["train", "--outdir", out, "--resume", "latest"] + tiny, "no snapshot under")
        try expectOneLine(["train", "--outdir", out] + tiny + ["--device", "opencl:7:7"], "opencl:7:7")
    }

    /// The augmentation options, refused as the official train.py refuses them, before anything is written.
    @Test func trainAugmentationArguments() throws {
        let out = try folder("train-aug")
        try expectOneLine(["train", "--outdir", out, "--aug", "fixed"] + tiny, "--aug fixed: needs --p")
        try expectOneLine(["train", "--outdir", out, "--p", "0.3"] + tiny, "--p: can only be given with --aug fixed")
        try expectOneLine(["train", "--outdir", out, "--aug", "noaug", "--augpipe", "bgc"] + tiny, "--augpipe: cannot be given with --aug noaug")
        try expectOneLine(["train", "--outdir", out, "--augpipe", "bgcf"] + tiny, "the image filter needs images of at least 22 pixels")
        try expectOneLine(["train", "--outdir", out, "--augpipe", "rgb"] + tiny, "unknown pipeline; choose one of blit, geom, color")
        try expectOneLine(["train", "--outdir", out, "--preset", "stylegan1-small", "--aug", "ada"] + tiny, "StyleGAN (v1) trains without augmentation")
        try expectOneLine(["train", "--outdir", out, "--aug", "fixed", "--p", "2"] + tiny, "--p must lie in", status: 64)
        try expectOneLine(["train", "--outdir", out, "--aug", "sometimes"] + tiny, "'sometimes' is invalid for '--aug <aug>'", status: 64)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
    }

    @Test func trainDataProblems() throws {
        let out = try folder("train-data")
        let mixed = try folder("mixed")
        try FileManager.default.copyItem(atPath: Self.formats.appendingPathComponent("rgb8.png").path, toPath: mixed + "/a.png")
        try FileManager.default.copyItem(atPath: Self.formats.appendingPathComponent("big16.png").path, toPath: mixed + "/b.png")
        try expectOneLine(["train", "--outdir", out, "--data", mixed] + tiny, "mixes image sizes")
        let empty = try folder("empty")
        try expectOneLine(["train", "--outdir", out, "--data", empty] + tiny, "holds no .png images")

        // A zip whose only image entry is corrupt: refused at start with the entry's name.
        let zip = out + "/bad.zip"
        let archive = try Archive(url: URL(fileURLWithPath: zip), accessMode: .create, pathEncoding: nil)
        let broken = try Data(contentsOf: Self.formats.appendingPathComponent("truncated.png"))
        try archive.addEntry(with: "00000000.png", type: .file, uncompressedSize: Int64(broken.count), provider: { position, size in
            broken.subdata(in: Int(position)..<(Int(position) + size))
        })
        try expectOneLine(["train", "--outdir", out, "--data", zip] + tiny, "bad.zip:00000000.png")
    }

}
