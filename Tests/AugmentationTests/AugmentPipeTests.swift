import Augmentation
import Foundation
import Tensors
import TensorsOpenCL
import Testing

/// The devices these tests run on: the CPU reference backend, and OpenCL when present.
let augmentDevices: [String] = (try? Device.select("opencl")) != nil ? ["cpu", "opencl"] : ["cpu"]

@Suite struct AugmentPipeTests {
    /// Every augmentation alone, every named pipe of train.py, and the 1-channel pipes, with the
    /// official draws replayed: within 1e-4 of the image range of the official output.
    @Test(arguments: augmentDevices) func matchesTheOfficialPipe(_ spec: String) throws {
        let device = try Device.select(spec)
        let cases = try AugmentFixture.cases.filter { !$0.key.hasPrefix("r1") }
        #expect(cases.count == 28)
        var worst = (error: 0.0, name: "")
        for (name, c) in cases.sorted(by: { $0.key < $1.key }) {
            let images = try AugmentFixture.tensor(c.input, on: device)
            let values = try images.toArray()
            let range = Double(values.max()! - values.min()!)
            var random = ReplayRandomness(name, c)
            let out = try AugmentFixture.pipe(c)(images, random: &random)
            #expect(random.mismatch == nil, "\(name): \(random.mismatch ?? "")")
            #expect(random.next == c.draws.count, "\(name): used \(random.next) of \(c.draws.count) draws")
            let expected = try AugmentFixture.tensor("\(name).out").toArray()
            let got = try out.toArray()
            #expect(got.count == expected.count)
            let error = zip(got, expected).map { Double(Swift.abs($0 - $1)) }.max() ?? .infinity
            let change = zip(values, expected).map { Double(Swift.abs($0 - $1)) }.max() ?? 0
            #expect(error <= 1e-4 * range, "\(name) on \(spec): max error \(error) (the augmentation changes pixels by up to \(change))")
            if error / range > worst.error { worst = (error / range, name) }
        }
        print("AugmentPipe on \(spec): 28 official cases, largest error \(worst.error) of the image range (\(worst.name))")
    }

    /// The fixed filters: the geometric warp's low-pass and the image filter's four bands.
    @Test func filtersMatchTheOfficialBuffers() throws {
        let geom = try AugmentFixture.tensor("Hz_geom").toArray()
        let bank = try AugmentFixture.tensor("Hz_fbank")
        #expect(bank.shape == [4, 43])
        for (a, b) in zip(AugmentPipe.geometricFilter, geom) { #expect(Swift.abs(a - Double(b)) < 1e-7) }
        for (a, b) in zip(AugmentPipe.filterBank.flatMap { $0 }, try bank.toArray()) { #expect(Swift.abs(a - Double(b)) < 1e-7) }
    }

    @Test func namedPipesAreTheOfficialSpecs() throws {
        #expect(AugmentPipe(named: "bgc") != nil && AugmentPipe(named: "bgcx") == nil)
        let bgc = try #require(AugmentPipe(named: "bgc"))
        #expect(bgc.xflip == 1 && bgc.xfrac == 1 && bgc.saturation == 1 && bgc.imgfilter == 0 && bgc.noise == 0)
        let all = try #require(AugmentPipe(named: "bgcfnc"))
        #expect(all.imgfilter == 1 && all.noise == 1 && all.cutout == 1)
        let cases = try AugmentFixture.cases
        for name in AugmentPipe.names {
            let official = try #require(cases["spec_\(name)"], "no fixture for \(name)")
            var pipe = try AugmentFixture.pipe(official)
            pipe.p = 1
            #expect(pipe == AugmentPipe(named: name), "\(name)")
        }
    }
}
