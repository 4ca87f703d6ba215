import Foundation
import Networks
import Rendering
import Tensors
import Testing

@Suite struct RenderingTests {
    /// `np.random.RandomState(0).randn(4)` and `RandomState(123).randn(3)`, printed by NumPy.
    @Test func numpyCompatibleLatents() {
        var zero = NumpyRandomState(seed: 0)
        let expected = [1.76405235, 0.40015721, 0.97873798, 2.2408932]
        for (a, b) in zip(zero.randn(4), expected) { #expect(abs(a - b) < 1e-8) }
        var other = NumpyRandomState(seed: 123)
        for (a, b) in zip(other.randn(3), [-1.0856306, 0.99734545, 0.2829785]) { #expect(abs(a - b) < 1e-7) }
    }

    /// `RandomState(seed).shuffle(list(range(n)))`, printed by NumPy (tools/numpy_shuffle_fixture.py).
    @Test func numpyShuffleMatchesRandomState() {
        let cases: [(UInt32, Int, [Int])] = [
            (0, 10, [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]),
            (7, 1000, [778, 334, 271, 802, 216, 408, 812, 94, 487, 170]),
            (123, 70000, [21971, 16953, 48447, 42344, 4376, 65743, 64717, 2820, 57997, 25377]),
        ]
        for (seed, n, expected) in cases {
            var random = NumpyRandomState(seed: seed)
            var order = Array(0..<n)
            random.shuffle(&order)
            #expect(Array(order.prefix(expected.count)) == expected, "seed \(seed), \(n) items")
        }
    }

    @Test func seedLists() throws {
        #expect(try SeedList.parse("0-3,12") == [0, 1, 2, 3, 12])
        #expect(try SeedList.parse("7") == [7])
        for bad in ["5-2", "a", "", "1,,2", "-3", "1-2-3", "4294967296"] {
            #expect(throws: RenderError.self, "\(bad)") { try SeedList.parse(bad) }
        }
        #expect(throws: RenderError.backwardSeedRange(part: "5-2", low: 5, high: 2)) { try SeedList.parse("5-2") }
        #expect(throws: RenderError.badSeed(part: "", list: "1,,2")) { try SeedList.parse("1,,2") }
    }

    @Test func quantizationFollowsTheOfficialFormula() throws {
        let img = try Tensor([-1, 0, 0.5, 1, -2, 2, 0.999, Float.nan, 0.1, 0.2, 0.3, 0.4] as [Float], shape: [1, 3, 2, 2])
        let png = try Renderer.quantize(img)[0]
        // clamp(x·127.5 + 128, 0, 255) truncated: −1 → 0, 0 → 128, 0.5 → 191, 1 → 255.
        #expect(png.channels == 3)
        #expect(png.pixels[0] == 0 && png.pixels[3] == 128 && png.pixels[6] == 191 && png.pixels[9] == 255)
    }
}
