import Foundation
import Networks
import SafeTensors
import Tensors
import Testing
@testable import Training

/// Bad data and failing runs: clear errors, skipped files, NaN guards.
@Suite struct RobustnessTests {
    static let formats = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/images/formats")

    /// A folder with copies of the named fixture files (renamed to `prefix + name`).
    func folder(_ files: [(String, String)]) throws -> String {
        let path = try temporaryFolder("data")
        for (name, as_) in files {
            try FileManager.default.copyItem(atPath: Self.formats.appendingPathComponent(name).path, toPath: path + "/" + as_)
        }
        return path
    }

    @Test func everyPNGFlavourLoadsAndABadFileIsSkipped() throws {
        let data = try folder([("rgb8.png", "a.png"), ("gray8.png", "b.png"), ("rgb16.png", "c.png"), ("rgba8.png", "d.png"),
                               ("palette.png", "e.png"), ("truncated.png", "f.png")])
        let dataset = try FolderDataset(path: data)
        #expect(dataset.channels == 3 && dataset.resolution == 8 && dataset.count == 6)
        let notes = dataset.notes.joined(separator: "; ")
        for kind in ["1 gray image", "1 16-bit RGB image", "1 RGB with alpha image", "alpha composited", "1 palette image"] {
            #expect(notes.contains(kind), "notes lack \(kind): \(notes)")
        }
        for i in 0..<5 { #expect(try dataset.pixels(at: i).count == 8 * 8 * 3) }
        #expect { try dataset.pixels(at: 5) } throws: { "\($0)".contains("f.png") }

        var options = tinyOptions(kimg: 0.012)
        options.data = data
        let outdir = try temporaryFolder("flavours")
        try TrainingRun(options: options, outdir: outdir, resume: nil, device: .cpu).run()
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: outdir).first)
        let log = try String(contentsOfFile: outdir + "/" + run + "/log.txt", encoding: .utf8)
        #expect(log.contains("warning: skipped an image") && log.contains("f.png"))
        #expect(log.contains("dataset: 1 palette image converted"))
        #expect(log.contains("Done: 0.0 kimg"))
    }

    @Test func unusableFoldersAreRefusedWithTheReason() throws {
        let cases: [([(String, String)], String)] = [
            ([("rgb8.png", "a.png"), ("big16.png", "b.png")], "mixes image sizes: 1 of 16x16"),
            ([("rgb8.png", "a.png"), ("notpng.png", "b.png")], "b.png is not a PNG file"),
            ([("wide8x4.png", "a.png")], "is 8x4: training needs square images"),
            ([], "holds no .png images"),
        ]
        for (files, message) in cases {
            let data = try folder(files)
            #expect(throws: DatasetError.self) { _ = try FolderDataset(path: data) }
            #expect { _ = try FolderDataset(path: data) } throws: { "\($0)".contains(message) }
        }
    }

    /// A run whose losses or weights become NaN or Inf stops, names the phase or parameter and the
    /// tick, and writes no snapshot of the broken weights.
    @Test func divergingRunStopsWithoutASnapshot() throws {
        var options = tinyOptions(kimg: 0.1)
        options.learningRate = 1e30
        let outdir = try temporaryFolder("nan")
        #expect {
            try TrainingRun(options: options, outdir: outdir, resume: nil, device: .cpu).run()
        } throws: { error in
            let text = "\(error)"
            return (text.contains("(phase ") || text.contains("parameter ")) && text.contains("at tick 0") && text.contains("--lrate")
        }
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: outdir).first)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: outdir + "/" + run)).contains { $0.hasPrefix("network-snapshot") })
    }
}
