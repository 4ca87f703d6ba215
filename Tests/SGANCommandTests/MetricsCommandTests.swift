import Foundation
import Metrics
import Testing

/// `sgan-gpu metrics` and `train --metrics` with the synthetic Inception weights (the formula the
/// pytorch-fid fixtures were made with), on the fixture folders of `Tests/Fixtures/fid`.
@Suite(.serialized, .enabled(if: hasOpenCL, "no OpenCL platform")) struct MetricsCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fid")

    /// The synthetic weights as a converted file, written once per test process.
    static let weights: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sgan-inception-synthetic-\(getpid()).safetensors").path
        try? InceptionV3.writeSyntheticWeights(to: path)
        return path
    }()

    static func referenceFID() throws -> Double {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("reference.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require((json["fid"] as? [String: Any])?["value"] as? Double)
    }

    /// The JSON lines of standard output, by metric name.
    func results(_ out: String) throws -> [String: Double] {
        var values: [String: Double] = [:]
        for line in out.split(separator: "\n") {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let name = try #require(json["metric"] as? String)
            values[name] = try #require((json["results"] as? [String: Any])?[name] as? Double)
            #expect(json["snapshot_pkl"] != nil && json["total_time"] != nil && json["num_gpus"] as? Int == 1)
        }
        return values
    }

    /// Two folders compared as pytorch-fid's command compares them: the same FID within 1e-3
    /// relative; a second run reads the reals' features from the cache and prints the same values.
    @Test func fakesFolderAgainstDataFolderMatchesPytorchFID() throws {
        let cache = try emptyFolder("sgan-metrics-cache")
        let arguments = ["metrics", "--metrics", "fid50k_full,kid50k_full", "--fakes", Self.fixtures.path + "/b",
                         "--data", Self.fixtures.path + "/a", "--inception", Self.weights, "--json"]
        let first = try runCommand(arguments, environment: ["XDG_CACHE_HOME": cache])
        #expect(first.status == 0, "\(first.err)")
        let values = try results(first.out)
        let fid = try #require(values["fid50k_full"])
        let expected = try Self.referenceFID()
        #expect(abs(fid - expected) <= 1e-3 * expected, "FID \(fid), pytorch-fid \(expected)")
        #expect(values["kid50k_full"] != nil)
        #expect(first.err.contains("real images: 24/24 images"))

        let second = try runCommand(arguments, environment: ["XDG_CACHE_HOME": cache])
        #expect(second.status == 0, "\(second.err)")
        #expect(second.err.contains("real images (cached)"), "\(second.err)")
        #expect(try results(second.out) == values)
    }

    /// Without weights: one line that says which file is needed, where it comes from, how to convert it.
    @Test func withoutWeightsSaysWhatToDo() throws {
        let result = try runCommand(["metrics", "--fakes", Self.fixtures.path + "/b", "--data", Self.fixtures.path + "/a"],
                                    environment: ["SGAN_INCEPTION": ""])
        #expect(result.status != 0)
        let lines = result.err.split(separator: "\n")
        #expect(lines.count == 1, "\(result.err)")
        #expect(result.err.contains("pt_inception-2015-12-05-6726825d.pth") && result.err.contains("convert_official.py")
                && result.err.contains("--inception"))
        let unknown = try runCommand(["metrics", "--metrics", "fid3x", "--fakes", ".", "--data", "."])
        #expect(unknown.status != 0 && unknown.err.contains("unknown metric 'fid3x'"))
    }

    /// `train --metrics` computes the metric at each snapshot into metrics.jsonl in the official form.
    @Test func trainWritesMetricsAtEachSnapshot() throws {
        // On OpenCL: Inception on the reference backend would take minutes.
        let tiny = Array(tinyTrainArguments.dropLast(2)) + ["--device", "opencl"]
        let outdir = try emptyFolder("sgan-train-metrics")
        let cache = try emptyFolder("sgan-train-metrics-cache")
        let result = try runCommand(["train", "--outdir", outdir, "--kimg", "0.004", "--metrics", "fid4", "--inception", Self.weights] + tiny, environment: ["XDG_CACHE_HOME": cache])
        #expect(result.status == 0, "\(result.err)")
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: outdir).first { !$0.hasPrefix(".") })
        let text = try String(contentsOfFile: outdir + "/" + run + "/metrics.jsonl", encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count >= 1)
        for line in lines {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(json["metric"] as? String == "fid4")
            let value = try #require((json["results"] as? [String: Any])?["fid4"] as? Double)
            #expect(value.isFinite && value >= 0)
            #expect((json["snapshot_pkl"] as? String)?.hasPrefix("network-snapshot-") == true)
        }
        let refused = try runCommand(["train", "--outdir", outdir, "--kimg", "0.004", "--metrics", "fid4"] + tiny,
                                     environment: ["SGAN_INCEPTION": ""])
        #expect(refused.status != 0 && refused.err.contains("convert_official.py"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: outdir).filter { !$0.hasPrefix(".") }.count == 1)
    }
}
