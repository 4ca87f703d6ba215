import Foundation
import Testing
@testable import Metrics

@Suite struct StatisticsTests {
    @Test func sha256OfKnownMessages() {
        var empty = SHA256()
        #expect(empty.hexDigest() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var abc = SHA256()
        abc.update(Array("abc".utf8))
        #expect(abc.hexDigest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var long = SHA256()
        long.update(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
        #expect(long.hexDigest() == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    /// Against a closed form: two Gaussians with diagonal covariances have
    /// FID = |μ₁−μ₂|² + Σ (σ₁ − σ₂)².
    @Test func frechetDistanceOfDiagonalGaussians() throws {
        let d = 5
        let mean1 = [0.5, -1, 2, 0, 0.25], mean2 = [0.0, 1, 2, -1, 0]
        let var1 = [1.0, 4, 0.25, 9, 2], var2 = [2.0, 1, 0.25, 4, 0]
        func diagonal(_ v: [Double]) -> [Double] {
            var m = [Double](repeating: 0, count: d * d)
            for i in 0..<d { m[i * d + i] = v[i] }
            return m
        }
        let fid = try frechetDistance(FeatureStatistics(count: 10, mean: mean1, covariance: diagonal(var1)),
                                      FeatureStatistics(count: 10, mean: mean2, covariance: diagonal(var2)))
        var expected = 0.0
        for i in 0..<d {
            expected += (mean1[i] - mean2[i]) * (mean1[i] - mean2[i])
            expected += (var1[i].squareRoot() - var2[i].squareRoot()) * (var1[i].squareRoot() - var2[i].squareRoot())
        }
        #expect(abs(fid - expected) < 1e-10)
    }

    /// `np.cov(x, rowvar=False)` of a small matrix, and the mean.
    @Test func covarianceIsNumpys() throws {
        let x: [Float] = [1, 2, 3, 4, 0, 1, 5, 5, 2, 7, 1, 0]  // 4 rows of 3
        let s = try FeatureStatistics(features: x, dimension: 3)
        #expect(s.mean == [4.25, 2, 1.5])
        // np.cov([[1,2,3],[4,0,1],[5,5,2],[7,1,0]], rowvar=False)
        let expected: [Double] = [6.25, 0, -2.833333333333333, 0, 4.666666666666666, 1.3333333333333333,
                                  -2.833333333333333, 1.3333333333333333, 1.6666666666666665]
        for (a, b) in zip(s.covariance, expected) { #expect(abs(a - b) < 1e-12) }
    }

    /// Bilinear resize with align_corners=False: rows sum to 1; up-sampling 2 → 4 gives torch's weights.
    @Test func bilinearMatrixIsTorchs() {
        let m = InceptionV3.bilinearMatrix(from: 2, to: 4)
        // F.interpolate(torch.tensor([[[[0., 1.]]]]), size=(1, 4), mode='bilinear') = [0, 0.25, 0.75, 1]
        let applied = (0..<4).map { o in m[o * 2 + 1] }
        #expect(applied == [0, 0.25, 0.75, 1])
        let down = InceptionV3.bilinearMatrix(from: 37, to: 299)
        for o in 0..<299 { #expect(abs(down[(o * 37)..<(o * 37 + 37)].reduce(0, +) - 1) < 1e-6) }
    }
}
