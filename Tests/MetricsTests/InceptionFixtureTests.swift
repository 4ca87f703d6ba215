import Foundation
import ImageIO
import SafeTensors
import Tensors
import TensorsOpenCL
import Testing
@testable import Metrics

/// `Tests/Fixtures/fid`, made by `tools/fid_fixtures.py` with pytorch-fid 0.3.0: two folders of
/// images, their pool3 features, FID and KID, computed with Inception weights drawn from a formula
/// (`InceptionV3.syntheticValues`) instead of the published file, which no package ships.
enum FIDFixture {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fid")

    static var reference: [String: Any] {
        get throws {
            let data = try Data(contentsOf: folder.appendingPathComponent("reference.json"))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
    }

    /// The images of folder `a` or `b`, sorted by name as pytorch-fid lists them.
    static func images(_ side: String) throws -> [PNGImage] {
        let dir = folder.appendingPathComponent(side)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".png") }.sorted()
        return try names.map { try PNGImage.read(path: dir.appendingPathComponent($0).path) }
    }
}

@Suite(.serialized) struct InceptionFixtureTests {
    /// pool3 features of every fixture image (odd sizes, one gray image per folder) agree with
    /// pytorch-fid's within 1e-3 of their largest value; FID and KID from them agree with pytorch-fid's
    /// `calculate_fid_given_paths` and the official KID within 1e-3 relative.
    @Test func featuresFIDAndKIDMatchPytorchFID() throws {
        let device = try Device.select("opencl")
        let network = try InceptionV3.synthetic(on: device)
        let expected = try SafeTensorsFile(path: FIDFixture.folder.appendingPathComponent("features.safetensors").path)
        var features: [String: [Float]] = [:]
        for side in ["a", "b"] {
            let got = try network.features(of: FIDFixture.images(side), batchSize: 8)
            let want = try expected.floats(side)
            #expect(got.count == want.count)
            let peak = want.map { abs($0) }.max() ?? 0
            let worst = zip(got, want).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-3 * peak, "folder \(side): features differ by \(worst), largest value \(peak)")
            features[side] = got
        }
        let reference = try FIDFixture.reference
        let fidValues = try #require(reference["fid"] as? [String: Any])
        let expectedFID = try #require(fidValues["value"] as? Double)
        let fid = try frechetDistance(FeatureStatistics(features: features["a"]!, dimension: 2048),
                                      FeatureStatistics(features: features["b"]!, dimension: 2048))
        #expect(abs(fid - expectedFID) <= 1e-3 * abs(expectedFID), "FID \(fid), pytorch-fid \(expectedFID)")

        // KID on the fixture's own features, as the official code computes it (b generated, a real,
        // NumPy's generator seeded with 123), against the official loop run in float64.
        let kidValues = try #require(reference["kid"] as? [String: Any])
        let inFloat64 = try #require(kidValues["float64_features"] as? [String: Any])
        let a = try expected.floats("a"), b = try expected.floats("b")
        for (subsets, key) in [(100, "value"), (1, "kid_1subset")] {
            let want = try #require(inFloat64[key] as? Double)
            let kid = try kernelInceptionDistance(generated: b, real: a, dimension: 2048, subsets: subsets, seed: 123)
            #expect(abs(kid - want) <= 1e-9 * abs(want), "KID over \(subsets) subset(s): \(kid), official formula \(want)")
        }
    }
}
