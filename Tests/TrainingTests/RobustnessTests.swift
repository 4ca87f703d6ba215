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
        let truncated = #expect(throws: DatasetError.self) { try dataset.pixels(at: 5) }
        if case .undecodableImage(let png, .reading)? = truncated {
            #expect(png.path == dataset.files[5] && dataset.files[5].hasSuffix("/f.png"))
        } else {
            Issue.record("not an undecodable image: \(String(describing: truncated))")
        }

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
        func file(_ data: String, _ name: String) -> String { (data as NSString).appendingPathComponent(name) }
        let cases: [([(String, String)], (String) -> DatasetError)] = [
            ([("rgb8.png", "a.png"), ("big16.png", "b.png")], { data in
                .mixedSizes(path: data, sizes: [.init(size: "16x16", count: 1, example: file(data, "b.png")),
                                                .init(size: "8x8", count: 1, example: file(data, "a.png"))])
            }),
            ([("rgb8.png", "a.png"), ("notpng.png", "b.png")], { .notPNG(path: file($0, "b.png")) }),
            ([("wide8x4.png", "a.png")], { .unsuitableSize(source: file($0, "a.png"), width: 8, height: 4) }),
            ([], { .noImages(path: $0, archive: false) }),
        ]
        for (files, expected) in cases {
            let data = try folder(files)
            #expect(throws: expected(data)) { _ = try FolderDataset(path: data) }
        }
    }

    /// A run whose losses or weights become NaN or Inf stops, names the phase or parameter and the
    /// tick, and writes no snapshot of the broken weights.
    @Test func divergingRunStopsWithoutASnapshot() throws {
        var options = tinyOptions(kimg: 0.1)
        options.learningRate = 1e30
        let outdir = try temporaryFolder("nan")
        let error = #expect(throws: TrainingError.self) {
            try TrainingRun(options: options, outdir: outdir, resume: nil, device: .cpu).run()
        }
        switch error {
        case .nonFiniteStatistic(_, let value, let tick, _, let lastSnapshot)?:
            #expect(!value.isFinite && tick == 0 && lastSnapshot == nil)
        case .nonFiniteParameter(_, let tick, _, let lastSnapshot)?:
            #expect(tick == 0 && lastSnapshot == nil)
        default:
            Issue.record("not a non-finite statistic or parameter: \(String(describing: error))")
        }
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: outdir).first)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: outdir + "/" + run)).contains { $0.hasPrefix("network-snapshot") })
    }
}
