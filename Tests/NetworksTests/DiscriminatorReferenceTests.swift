import Foundation
import Networks
import Tensors
import TensorsOpenCL
import Testing

/// StyleGAN2's discriminator, R1 and both losses' parameter gradients against the official tensors.
@Suite struct DiscriminatorReferenceTests {
    @Test(arguments: testDevices)
    func logitsAndR1(_ deviceName: String) throws {
        let device = try Device.select(deviceName)
        let d = try Reference.discriminator(on: device)
        let io = try Reference.file("d_io")
        try expectClose(d(Reference.tensor(io, "fake", on: device)), Reference.tensor(io, "logits_fake"), "logits_fake")
        // Eight reals: two minibatch-std groups, members m and m + 2.
        try expectClose(d(Reference.tensor(io, "real8", on: device)), Reference.tensor(io, "logits_real8"), "logits_real8")

        let real = try Reference.tensor(io, "real", on: device).requiringGrad()
        let logits = try d(real)
        try expectClose(logits, Reference.tensor(io, "logits_real"), "logits_real")
        let r1Grad = try gradients(of: logits.sum(), wrt: [real], createGraph: true)[0]
        try expectClose(r1Grad, Reference.tensor(io, "r1_grad"), "r1_grad")
        let penalty = try r1Grad.square().sum(axes: [1, 2, 3])
        try expectClose(penalty, Reference.tensor(io, "r1_penalty"), "r1_penalty")
        // R1 is differentiable with respect to D's weights (the Dreg phase).
        let weights = d.namedParameters().map(\.1.value)
        let regGrads = try gradients(of: penalty.sum(), wrt: weights)
        #expect(try regGrads.map { try $0.abs().max().item() }.max()! > 0)
    }

    @Test(arguments: testDevices)
    func lossGradients(_ deviceName: String) throws {
        let device = try Device.select(deviceName)
        let g = try Reference.generator("g_pert_params", on: device)
        let d = try Reference.discriminator(on: device)
        let gio = try Reference.file("g_pert_io"), dio = try Reference.file("d_io"), grads = try Reference.file("grads")

        // loss_G = mean softplus(−D(G(z))): G in eval mode, noise const, no style mixing.
        let fake = try g(Reference.tensor(gio, "z", on: device))
        let lossG = try d(fake).neg().softplus().mean()
        try expectClose(lossG, Reference.tensor(grads, "loss_G"), "loss_G")
        let gParams = g.namedParameters()
        let gGrads = try gradients(of: lossG, wrt: gParams.map(\.1.value))
        for ((name, _), grad) in zip(gParams, gGrads) {
            try expectGradient(grad, Reference.tensor(grads, "G." + name), "G." + name)
        }

        // loss_D = mean softplus(D(G(z))) + mean softplus(−D(real)).
        let lossD = try d(fake.detached()).softplus().mean() + d(Reference.tensor(dio, "real", on: device)).neg().softplus().mean()
        try expectClose(lossD, Reference.tensor(grads, "loss_D"), "loss_D")
        let dParams = d.namedParameters()
        let dGrads = try gradients(of: lossD, wrt: dParams.map(\.1.value))
        for ((name, _), grad) in zip(dParams, dGrads) {
            try expectGradient(grad, Reference.tensor(grads, "D." + name), "D." + name)
        }
        #expect(gParams.count > 50 && dParams.count > 20)
    }

    /// Gradients: within 1e-3 of the largest reference value of the tensor (relative), or 1e-7 absolute.
    func expectGradient(_ got: Tensor, _ reference: Tensor, _ name: String) throws {
        let a = try got.toArray(), b = try reference.toArray()
        #expect(got.shape == reference.shape, "\(name): shape \(got.shape) vs \(reference.shape)")
        let scale = b.map { abs(Double($0)) }.max() ?? 0
        let error = zip(a, b).map { abs(Double($0) - Double($1)) }.max() ?? 0
        #expect(error <= Swift.max(1e-3 * scale, 1e-7), "\(name): max error \(error), largest reference value \(scale)")
    }
}
