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

    @Test func seedLists() throws {
        #expect(try SeedList.parse("0-3,12") == [0, 1, 2, 3, 12])
        #expect(try SeedList.parse("7") == [7])
        for bad in ["5-2", "a", "", "1,,2", "-3", "1-2-3", "4294967296"] {
            #expect(throws: RenderError.self, "\(bad)") { try SeedList.parse(bad) }
        }
        #expect { try SeedList.parse("5-2") } throws: { "\($0)".contains("runs backwards") }
    }

    @Test func quantizationFollowsTheOfficialFormula() throws {
        let img = try Tensor([-1, 0, 0.5, 1, -2, 2, 0.999, Float.nan, 0.1, 0.2, 0.3, 0.4] as [Float], shape: [1, 3, 2, 2])
        let png = try Renderer.quantize(img)[0]
        // clamp(x·127.5 + 128, 0, 255) truncated: −1 → 0, 0 → 128, 0.5 → 191, 1 → 255.
        #expect(png.channels == 3)
        #expect(png.pixels[0] == 0 && png.pixels[3] == 128 && png.pixels[6] == 191 && png.pixels[9] == 255)
    }
}
