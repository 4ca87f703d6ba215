import Foundation
import KernelChecks
import StyleGANOps
import Tensors
import Testing

/// First- and second-order gradient checks of the StyleGAN ops, and their semantics.
@Suite struct StyleGANOpGradientTests {
    func expectBoth(_ name: String, _ shapes: [[Int]], range: ClosedRange<Double> = -1...1,
                    _ f: @escaping ([Tensor]) throws -> Tensor) throws {
        let first = try GradCheck.firstOrder(shapes, range: range, f)
        #expect(first.passed, "\(name) first order: \(first)")
        let second = try GradCheck.secondOrder(shapes, range: range) { try f($0).square() }
        #expect(second.passed, "\(name) second order: \(second)")
    }

    @Test func biasAct() throws {
        for (activation, clamp) in [(Activation.lrelu, nil), (.linear, nil), (.lrelu, 0.6 as Double?)] {
            let p = BiasActParameters(activation, clamp: clamp)
            try expectBoth("biasAct \(activation) clamp \(String(describing: clamp))", [[2, 3, 2, 2], [3]]) {
                try $0[0].biasAct(bias: $0[1], p)
            }
        }
    }

    @Test func upfirdn2d() throws {
        let filter = try Filters.setupFilter(Filters.stylegan2Taps)
        let cases: [(String, UpFirDn2dParameters)] = [
            ("up", UpFirDn2dParameters(up: 2, padding: (2, 1, 2, 1), gain: 4)),
            ("down", UpFirDn2dParameters(down: 2, padding: (1, 1, 1, 1))),
            ("crop", UpFirDn2dParameters(padding: (-1, 0, 1, -1))),
        ]
        for (name, p) in cases {
            try expectBoth("upfirdn2d \(name)", [[1, 2, 6, 5]]) { try $0[0].upfirdn2d(filter: filter.to(.cpu, dtype: .float64), p) }
        }
    }

    @Test func augmentationOps() throws {
        try expectBoth("padReflect", [[1, 2, 4, 5]]) { try $0[0].padReflect((2, 4, 3, 1)) }
        let theta = try Tensor([0.8, -0.5, 0.1, 0.4, 1.1, -0.2, -1, 0.1, 0.05, 0.2, 0.9, 0.3], shape: [2, 2, 3], dtype: .float64)
        try expectBoth("affineGridSample", [[2, 2, 5, 4]]) { try $0[0].affineGridSample(theta: theta, outputSize: (7, 6)) }
        let matrix = try Tensor.uniform([2, 3, 4], seed: 5, dtype: .float64)
        try expectBoth("colorMatrix", [[2, 3, 3, 2]]) { try $0[0].colorMatrix(matrix) }
        let taps = try Tensor.uniform([2, 3], seed: 6, dtype: .float64)
        for axis in [2, 3] {
            try expectBoth("sampleFIR axis \(axis)", [[2, 2, 5, 4]]) { try $0[0].sampleFIR(taps: taps, axis: axis) }
        }
    }

    @Test func modulatedConv2d() throws {
        let filter = try Filters.setupFilter(Filters.stylegan2Taps, on: .cpu).to(.cpu, dtype: .float64)
        for (up, fused, demodulate) in [(1, true, true), (1, false, true), (2, true, true), (1, true, false)] {
            try expectBoth("modulatedConv2d up \(up) fused \(fused) demod \(demodulate)", [[2, 2, 3, 3], [3, 2, 3, 3], [2, 2]]) {
                try StyleGANOps.modulatedConv2d($0[0], weight: $0[1], styles: $0[2], up: up, padding: 1, filter: filter,
                                                demodulate: demodulate, flipWeight: up == 1, fused: fused)
            }
        }
    }

    @Test func compositeOps() throws {
        try expectBoth("normalize2ndMoment", [[2, 5]]) { try $0[0].normalize2ndMoment() }
        try expectBoth("fullyConnected", [[2, 4], [3, 4], [3]]) {
            try $0[0].fullyConnected(weight: $0[1], bias: $0[2], lrMultiplier: 0.01, activation: .lrelu)
        }
        try expectBoth("adaIN", [[2, 2, 3, 3], [2, 2, 2]]) { try $0[0].adaIN(styles: $0[1]) }
        try expectBoth("minibatchStd", [[4, 2, 2, 2]]) { try $0[0].minibatchStd(groupSize: 2) }
        try expectBoth("addNoise", [[2, 2, 3, 3], [2, 1, 3, 3], [2]]) { try $0[0].addNoise($0[1], strength: $0[2]) }
        try expectBoth("softplus", [[7]], range: -3...3) { try $0[0].softplus() }
    }

    @Test func fusedAndNonFusedModulatedConvAgree() throws {
        let filter = try Filters.setupFilter(Filters.stylegan2Taps)
        let x = try Tensor.uniform([3, 4, 5, 5], seed: 1)
        let w = try Tensor.uniform([6, 4, 3, 3], seed: 2)
        let s = try Tensor.uniform([3, 4], seed: 3)
        let noise = try Tensor.uniform([3, 1, 10, 10], seed: 4)
        for up in [1, 2] {
            let fused = try StyleGANOps.modulatedConv2d(x, weight: w, styles: s, noise: up == 2 ? noise : nil, up: up, padding: 1,
                                            filter: filter, flipWeight: up == 1, fused: true)
            let plain = try StyleGANOps.modulatedConv2d(x, weight: w, styles: s, noise: up == 2 ? noise : nil, up: up, padding: 1,
                                            filter: filter, flipWeight: up == 1, fused: false)
            #expect(fused.shape == [3, 6, 5 * up, 5 * up])
            let difference = try (fused - plain).abs().max().item()
            #expect(difference < 1e-5)
        }
    }

    /// `conv2dResample` up-samples as the official code does: a transposed convolution with
    /// stride 2, then the FIR with gain 4. The same linear map in the other order: FIR
    /// up-sampling (zero insertion, padding p + [(fw + 1)/2, (fw − 2)/2]), then a valid
    /// convolution with the weight rotated 180°. Parameters: padding, kernel size, groups.
    @Test(arguments: [[1, 3, 1], [0, 3, 1], [0, 1, 1], [1, 3, 2], [2, 3, 1], [0, 5, 1]])
    func upsamplingConvMatchesTheOtherOrder(_ c: [Int]) throws {
        let (padding, k, groups) = (c[0], c[1], c[2])
        let filter = try Filters.setupFilter(Filters.stylegan2Taps)
        let x = try Tensor.uniform([2, 3 * groups, 4, 4], seed: 5)
        let w = try Tensor.uniform([5 * groups, 3, k, k], seed: 6)
        let ours = try conv2dResample(x, weight: w, filter: filter, up: 2, padding: padding, groups: groups, flipWeight: false)
        let pads = (padding + 2, padding + 1, padding + 2, padding + 1)
        let other = try x.upfirdn2d(filter: filter, UpFirDn2dParameters(up: 2, padding: pads, gain: 4))
            .conv2d(w.flip(axes: [2, 3]), groups: groups)
        let size = 8 + 2 * padding + 1 - k
        #expect(ours.shape == [2, 5 * groups, size, size])
        #expect(other.shape == ours.shape)
        #expect(try (ours - other).abs().max().item() < 1e-5)
        if k > 1 {
            // The other orientation differs a lot: the test can tell them apart.
            let wrong = try conv2dResample(x, weight: w, filter: filter, up: 2, padding: padding, groups: groups, flipWeight: true)
            #expect(try (wrong - other).abs().max().item() > 0.1)
        }
    }

    @Test func minibatchStdGroupsSamplesMPlusNOverG() throws {
        // Four samples, group size 2: groups are {0, 2} and {1, 3}.
        let values: [Double] = [0, 10, 2, 14]
        let x = try Tensor(values, shape: [4, 1, 1, 1])
        let y = try x.minibatchStd(groupSize: 2).toDoubles()
        // Channel 1 holds the group's std: |0 − 2|/2 = 1 for group {0, 2}, |10 − 14|/2 = 2 for {1, 3}.
        let std = [1, 2, 1, 2].map { ($0 * $0 + 1e-8).squareRoot() }
        #expect(y.count == 8)
        for i in 0..<4 { #expect(abs(y[2 * i + 1] - std[i]) < 1e-6) }
    }

    @Test func resamplingHelpers() throws {
        let x = try Tensor([1, 2, 3, 4] as [Float], shape: [1, 1, 2, 2])
        #expect(try x.upscale2d().toArray() == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
        #expect(try x.upscale2d().downscale2d().toArray() == [1, 2, 3, 4])
        let filter = try Filters.setupFilter(Filters.stylegan2Taps)
        #expect(try filter.sum().item() == 1)
        // A constant image stays constant in the interior through upsample2d and downsample2d.
        let constant = try Tensor.full(3, shape: [1, 1, 8, 8])
        let up = try constant.upsample2d(filter: filter)
        #expect(up.shape == [1, 1, 16, 16])
        #expect(try up.slice(axis: 2, 2..<14).slice(axis: 3, 2..<14).toArray().allSatisfy { abs($0 - 3) < 1e-6 })
        let down = try constant.downsample2d(filter: filter)
        #expect(down.shape == [1, 1, 4, 4])
        #expect(try down.slice(axis: 2, 1..<3).slice(axis: 3, 1..<3).toArray().allSatisfy { abs($0 - 3) < 1e-6 })
    }
}

/// R1 of a small conv net (conv, leaky ReLU, downsample, minibatch std, linear): the penalty
/// ‖∂D(x)/∂x‖² and its gradient with respect to the net's weights, against finite differences.
@Suite struct R1PenaltyTests {
    static func discriminator(_ x: Tensor, _ w1: Tensor, _ b1: Tensor, _ w2: Tensor) throws -> Tensor {
        let filter = try Filters.setupFilter(Filters.stylegan2Taps).to(.cpu, dtype: x.dtype)
        var h = try x.conv2d(w1 * (1 / 3.0.squareRoot() / 3), padding: (1, 1)).biasAct(bias: b1, BiasActParameters(.lrelu))
        h = try h.downsample2d(filter: filter)                 // [4, 2, 2, 2]
        h = try h.minibatchStd(groupSize: 2)                   // [4, 3, 2, 2]
        return try h.reshape([4, 12]).fullyConnected(weight: w2, bias: nil)   // [4, 1]
    }

    @Test func r1GradientMatchesFiniteDifferences() throws {
        let x = try Tensor.uniform([4, 3, 4, 4], seed: 11, dtype: .float64).requiringGrad()
        let f: ([Tensor]) throws -> Tensor = { weights in
            let logits = try Self.discriminator(x, weights[0], weights[1], weights[2])
            let grad = try gradients(of: logits.sum(), wrt: [x], createGraph: true)[0]
            return try grad.square().sum(axes: [1, 2, 3])     // per-sample R1 penalty
        }
        let result = try GradCheck.firstOrder([[2, 3, 3, 3], [2], [1, 12]], tolerance: Tolerance(absolute: 1e-7, relative: 1e-5), f)
        #expect(result.passed, "R1 gradient: \(result)")
        #expect(result.maxMagnitude > 1e-3)
    }
}

@Suite struct RandomAndAdamTests {
    /// The Random123 known-answer vector for Philox4x32-10 with zero counter and key.
    @Test func philoxKnownAnswer() throws {
        // randn's first block with seed 0, offset 0 uses exactly this Philox block.
        let normals = try Tensor.randn([4], seed: 0, dtype: .float64).toDoubles()
        let bits: [UInt32] = [0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8]
        func uniform(_ b: UInt32) -> Double { (Double(b >> 9) + 0.5) / 8_388_608 }
        let r0 = (-2 * Foundation.log(uniform(bits[0]))).squareRoot(), t0 = 2 * Double.pi * uniform(bits[1])
        #expect(abs(normals[0] - r0 * Foundation.cos(t0)) < 1e-12)
        #expect(abs(normals[1] - r0 * Foundation.sin(t0)) < 1e-12)
    }

    @Test func randnIsSeededAndLooksNormal() throws {
        let a = try Tensor.randn([10_000], seed: 42).toArray()
        #expect(try Tensor.randn([10_000], seed: 42).toArray() == a)
        #expect(try Tensor.randn([10_000], seed: 43).toArray() != a)
        let shifted = try Tensor.randn([8], seed: 42, offset: 1).toArray()
        #expect(Array(a[4..<12]) == shifted)
        let mean = a.reduce(0, +) / Float(a.count)
        let variance = a.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(a.count)
        #expect(abs(mean) < 0.03)
        #expect(abs(variance - 1) < 0.05)
    }

    @Test func adamMatchesItsFormula() throws {
        let p = Parameter("p", try Tensor([1.0, -2.0], shape: [2], dtype: .float64))
        let adam = try Adam([p], learningRate: 0.1, beta1: 0.9, beta2: 0.99, epsilon: 1e-8)
        let g = try Tensor([0.5, 0.25], shape: [2], dtype: .float64)
        try adam.update([g])
        try adam.update([g])
        // After two equal gradients, m̂ = g and v̂ = g², so each step moves by lr·g/(|g| + ε·…) ≈ lr·sign(g).
        let values = try p.value.toDoubles()
        #expect(abs(values[0] - (1 - 0.2)) < 1e-6)
        #expect(abs(values[1] - (-2 - 0.2)) < 1e-6)
        #expect { try adam.update([]) } throws: { "\($0)".contains("0 gradients for 1 parameters") }
    }
}
