import Augmentation
import Foundation
import Networks
import SafeTensors
import Tensors
import TensorsOpenCL
import Testing

/// R1 through the augmented reals (the official loss.py Dreg phase with an augment pipe) on the
/// project's reference discriminator: logits, ∂Σlogits/∂real, the penalty, and the penalty's
/// gradients with respect to D's parameters (second order through D and the augmentation).
@Suite struct AugmentR1Tests {
    struct R1Fixture: Decodable {
        var D_kwargs: StyleGAN2.DiscriminatorConfig
        var stored_grads: StoredGrads
        struct StoredGrads: Decodable { var r1geom: [String] }
    }

    func discriminator(_ kwargs: StyleGAN2.DiscriminatorConfig, on device: Device) throws -> StyleGAN2.Discriminator {
        let params = try SafeTensorsFile(path: AugmentFixture.folder.appendingPathComponent("stylegan2-reference/d_params.safetensors").path)
        let d = try StyleGAN2.Discriminator(kwargs, device: device)
        try d.load(Dictionary(uniqueKeysWithValues: params.names.map {
            ($0, try Tensor(params.floats($0), shape: params.entry($0)!.shape, on: device))
        }))
        return d
    }

    @Test(arguments: augmentDevices.flatMap { device in ["r1", "r1geom"].map { (device, $0) } })
    func r1ThroughTheAugmentationMatchesTheOfficialLoss(_ spec: String, _ name: String) throws {
        let device = try Device.select(spec)
        let fixture = try JSONDecoder().decode(R1Fixture.self, from: Data(#require(AugmentFixture.file.metadata["r1"]).utf8))
        let d = try discriminator(fixture.D_kwargs, on: device)
        let c = try #require(try AugmentFixture.cases[name])
        var random = ReplayRandomness(name, c)

        let real = try AugmentFixture.tensor("real", on: device).requiringGrad()
        let logits = try d(AugmentFixture.pipe(c)(real, random: &random))
        #expect(random.mismatch == nil && random.next == c.draws.count, "\(name): \(random.mismatch ?? "draws left")")
        try expectClose(logits, AugmentFixture.tensor("\(name).logits"), "\(name) logits", relative: 1e-4)
        let r1Grad = try gradients(of: logits.sum(), wrt: [real], createGraph: true)[0]
        try expectClose(r1Grad, AugmentFixture.tensor("\(name).r1_grad"), "\(name) r1_grad", relative: 1e-3)
        let penalty = try r1Grad.square().sum(axes: [1, 2, 3])
        try expectClose(penalty, AugmentFixture.tensor("\(name).r1_penalty"), "\(name) r1_penalty", relative: 1e-3)

        let params = d.namedParameters()
        let grads = try gradients(of: penalty.sum(), wrt: params.map(\.1.value))
        var compared = 0
        for ((key, _), grad) in zip(params, grads) where AugmentFixture.file.entry("\(name).grad.\(key)") != nil {
            try expectClose(grad, AugmentFixture.tensor("\(name).grad.\(key)"), "\(name) ∂R1/∂\(key)", relative: 1e-3, floor: 0)
            compared += 1
        }
        #expect(compared == (name == "r1" ? params.count : fixture.stored_grads.r1geom.count))
    }

    /// `|got − reference| ≤ relative · max(floor, max |reference|)`.
    func expectClose(_ got: Tensor, _ reference: Tensor, _ name: String, relative: Double, floor: Double = 1) throws {
        #expect(got.shape == reference.shape, "\(name): shape \(got.shape) vs \(reference.shape)")
        let a = try got.toArray(), b = try reference.toArray()
        let scale = Swift.max(floor, b.map { Swift.abs(Double($0)) }.max() ?? 0)
        let error = zip(a, b).map { Swift.abs(Double($0) - Double($1)) }.max() ?? .infinity
        #expect(error <= Swift.max(relative * scale, 1e-7), "\(name): max error \(error), largest reference value \(scale)")
    }
}
