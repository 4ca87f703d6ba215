import Augmentation
import KernelChecks
import Tensors
import Testing

/// Finite-difference checks of the whole pipeline at p = 1, one group at a time, in float64 on the
/// CPU reference: the first-order gradient (what D's loss sends back to G through the fakes) and the
/// second-order one (what R1 through the augmented reals needs).
@Suite struct AugmentGradientTests {
    @Test(arguments: ["blit", "geom", "color", "filter", "noise", "cutout", "bgc"])
    func pipelineGradientsOfFirstAndSecondOrder(_ group: String) throws {
        var pipe = try #require(AugmentPipe(named: group))
        pipe.p = 1
        // The image filter pads by 21 pixels, so its images are 22 wide.
        let shape = group == "filter" ? [1, 1, 22, 22] : [2, 3, 5, 4]
        let augment: ([Tensor]) throws -> Tensor = { inputs in
            var random = SampleRandomness(seed: 3, batch: 1, call: 0, samples: 0..<shape[0])
            return try pipe(inputs[0], random: &random)
        }
        // The draws must change the image, or the check would compare the identity.
        let x = try Tensor.uniform(shape, seed: 1, dtype: .float64)
        let changed = try (augment([x]) - x).abs().max().item()
        #expect(changed > 1e-3, "\(group) left the image unchanged")

        // The filter's image is checked at 64 of its 484 pixels (every 7th), the others everywhere.
        let elements = group == "filter" ? 64 : nil
        let first = try GradCheck.firstOrder([shape], maxElements: elements, augment)
        #expect(first.passed, "\(group) first order: \(first)")
        let second = try GradCheck.secondOrder([shape], maxElements: elements) { try augment($0).square() }
        #expect(second.passed, "\(group) second order: \(second)")
    }
}
