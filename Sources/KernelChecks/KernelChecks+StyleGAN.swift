import StyleGANOps
import Tensors
import TensorsOpenCL

extension KernelChecks {
    /// A check of the gradients of `f` (of the inputs listed in `wrt`, all when nil): the body
    /// returns them as `weightedGradients` does.
    static func backward(_ name: String, family: String, tolerance: Tolerance, cases: [KernelCheck.Case],
                         inputRange: ClosedRange<Double> = -2...2, wrt: [Int]? = nil,
                         _ f: @escaping ([Tensor], [Int]) throws -> Tensor) -> KernelCheck {
        KernelCheck(name, family: family, tolerance: tolerance, cases: cases, inputRange: inputRange) { inputs, p in
            try weightedGradients(inputs, p, wrt: wrt, f)
        }
    }

    /// The gradients of `L = Σ f(inputs)·r` for a fixed random r with respect to the inputs listed
    /// in `wrt` (all when nil), flattened and joined, computed on the inputs' device.
    static func weightedGradients(_ inputs: [Tensor], _ p: [Int], wrt: [Int]?,
                                  _ f: ([Tensor], [Int]) throws -> Tensor) throws -> Tensor {
        let leaves = inputs.map { $0.requiringGrad() }
        let y = try f(leaves, p)
        let r = try Tensor.uniform(y.shape, seed: 99, on: y.device)
        let chosen = (wrt ?? Array(leaves.indices)).map { leaves[$0] }
        let grads = try gradients(of: (y * r).sum(), wrt: chosen)
        return try Tensor.concat(grads.map { try $0.reshape([-1]) }, axis: 0)
    }

    /// Forward and backward checks of the conv2d gradients, bias_act, upfirdn2d, randn and Adam.
    static var stylegan: [KernelCheck] {
        let conv: (([Tensor], [Int]) throws -> Tensor) = { inputs, p in
            try inputs[0].conv2d(inputs[1], stride: (p[0], p[1]), padding: (p[2], p[3]), groups: p[4])
        }
        let convCases: [KernelCheck.Case] = [
            .init([[1, 3, 7, 7], [5, 3, 3, 3]], [1, 1, 1, 1, 1]), .init([[3, 5, 11, 13], [7, 5, 3, 3]], [2, 2, 1, 1, 1]),
            .init([[2, 6, 7, 7], [4, 3, 3, 3]], [1, 1, 1, 1, 2]), .init([[2, 4, 9, 9], [6, 4, 1, 1]], [1, 1, 0, 0, 1]),
            .init([[2, 33, 5, 5], [65, 33, 3, 3]], [1, 1, 1, 1, 1]), .init([[1, 2, 8, 8], [3, 2, 4, 4]], [2, 2, 1, 1, 1]),
            .init([[2, 3, 6, 7], [4, 3, 2, 3]], [1, 1, 1, 0, 1]), .init([[1, 2, 5, 5], [3, 2, 3, 3]], [1, 1, 3, 3, 1]),
        ]
        let convTolerance = Tolerance(absolute: 2e-4, relative: 1e-5)
        // The convolution and both its gradients (for L = Σ y·r with a fixed random r), flattened.
        let convAndGradients: (([Tensor], [Int]) throws -> Tensor) = { inputs, p in
            let leaves = inputs.map { $0.requiringGrad() }
            let y = try conv(leaves, p)
            let r = try Tensor.uniform(y.shape, seed: 99, on: y.device)
            let grads = try gradients(of: (y * r).sum(), wrt: leaves)
            return try Tensor.concat(([y] + grads).map { try $0.reshape([-1]) }, axis: 0)
        }
        // 16 or more output channels per group: the weight gradient's im2col writes panels.
        let panelConvCases: [KernelCheck.Case] = [
            .init([[2, 3, 9, 11], [17, 3, 3, 3]], [1, 1, 1, 1, 1]), .init([[1, 4, 11, 13], [16, 4, 3, 3]], [2, 2, 1, 1, 1]),
            .init([[2, 6, 7, 7], [32, 3, 3, 3]], [1, 1, 1, 1, 2]), .init([[1, 5, 6, 6], [20, 5, 4, 4]], [1, 1, 2, 1, 1]),
            .init([[3, 2, 5, 5], [16, 2, 1, 1]], [2, 2, 0, 0, 1]),
        ]
        // Winograd: parameters as the convolution's, then the chunk limit (1000: one image a chunk).
        let winogradCases: [KernelCheck.Case] = [
            .init([[2, 5, 13, 11], [17, 5, 3, 3]], [1, 1, 1, 1, 1, 32 << 20]),
            .init([[1, 33, 9, 10], [16, 33, 3, 3]], [1, 1, 0, 0, 1, 32 << 20]),
            .init([[1, 6, 7, 5], [33, 6, 3, 3]], [1, 1, 2, 1, 1, 32 << 20]),
            .init([[2, 8, 9, 7], [32, 4, 3, 3]], [1, 1, 1, 1, 2, 32 << 20]),
            .init([[3, 4, 6, 9], [16, 4, 3, 3]], [1, 1, 1, 2, 1, 1000]),
            .init([[3, 40, 5, 6], [16, 40, 3, 3]], [1, 1, 1, 1, 1, 1000]),
            // Whole F(4×4) tiles in rows of 4 and 8 tiles, 16 columns crossing an image's end.
            .init([[2, 3, 16, 16], [16, 3, 3, 3]], [1, 1, 1, 1, 1, 32 << 20]),
            .init([[1, 5, 16, 32], [17, 5, 3, 3]], [1, 1, 1, 1, 1, 32 << 20]),
            .init([[3, 2, 8, 16], [16, 2, 3, 3]], [1, 1, 1, 1, 1, 32 << 20]),
        ]
        // `oneImageChunks` runs every case in chunks of one image (dU accumulated over them).
        func winograd(_ name: String, tile: Int, otherPanelWidth: Bool, oneImageChunks: Bool = false) -> KernelCheck {
            KernelCheck(name, family: "winograd", tolerance: convTolerance, cases: winogradCases, inputRange: -1...1) { inputs, p in
                try onWinograd(tile: tile, limit: oneImageChunks ? 1000 : p[5], otherPanelWidth: otherPanelWidth, inputs) {
                    try convAndGradients($0, p)
                }
            }
        }

        // bias_act parameters: activation (0 linear, 1 lrelu), clamp (0: none), bias (0/1).
        let biasAct: (([Tensor], [Int]) throws -> Tensor) = { inputs, p in
            let parameters = BiasActParameters(p[0] == 1 ? .lrelu : .linear, clamp: p[1] == 0 ? nil : Double(p[1]) / 4)
            return try inputs[0].biasAct(bias: p[2] == 1 ? inputs[1] : nil, parameters)
        }
        let biasActCases: [KernelCheck.Case] = [
            .init([[2, 5, 3, 3], [5]], [1, 0, 1]), .init([[2, 5, 3, 3], [5]], [0, 0, 1]), .init([[3, 65], [65]], [1, 4, 1]),
            .init([[1, 7], [7]], [0, 3, 1]), .init([[33, 3, 1], [3]], [1, 0, 0]),
        ]

        // upfirdn2d parameters: up, down, px0, px1, py0, py1, gain; the second input is the filter.
        let upfirdn: (([Tensor], [Int]) throws -> Tensor) = { inputs, p in
            try inputs[0].upfirdn2d(filter: inputs[1], UpFirDn2dParameters(
                up: p[0], down: p[1], padding: (p[2], p[3], p[4], p[5]), gain: Double(p[6])))
        }
        let upfirdnCases: [KernelCheck.Case] = [
            .init([[2, 3, 5, 5], [4, 4]], [2, 1, 2, 1, 2, 1, 4]), .init([[1, 2, 8, 8], [4, 4]], [1, 2, 1, 1, 1, 1, 1]),
            .init([[2, 1, 7, 9], [3, 3]], [1, 1, 1, 1, 1, 1, 1]), .init([[1, 3, 9, 9], [4, 4]], [1, 1, -1, -2, 0, -1, 1]),
            .init([[1, 2, 5, 5], [4, 4]], [2, 1, 3, 2, 3, 2, 4]), .init([[3, 2, 6, 7], [2, 3]], [1, 2, 1, 0, 0, 1, 1]),
            .init([[1, 1, 1, 1], [1, 1]], [3, 1, 2, 0, 2, 0, 9]),
        ]
        // up = down = 1: the filter alone, rows wider than the 16-output strip, crops, a 1-wide image.
        let firCases: [KernelCheck.Case] = [
            .init([[2, 3, 7, 37], [4, 4]], [1, 1, 2, 1, 2, 1, 4]), .init([[1, 2, 19, 40], [3, 5]], [1, 1, 2, 2, 1, 1, 1]),
            .init([[1, 1, 9, 33], [4, 4]], [1, 1, -1, -2, 0, -1, 1]), .init([[3, 1, 5, 1], [2, 2]], [1, 1, 1, 0, 0, 1, 1]),
        ]
        // Rows of several 16-output strips: up 2, down 2 and the filter alone, odd widths, crops.
        let rowsCases: [KernelCheck.Case] = [
            .init([[2, 3, 9, 41], [4, 4]], [2, 1, 2, 1, 2, 1, 4]), .init([[1, 2, 12, 45], [4, 4]], [1, 2, 1, 1, 1, 1, 1]),
            .init([[1, 3, 7, 50], [4, 4]], [1, 2, 2, 1, 2, 1, 1]), .init([[2, 1, 6, 37], [3, 3]], [2, 1, 1, 1, 1, 1, 4]),
            .init([[1, 2, 5, 40], [4, 4]], [1, 1, -1, 2, 0, 1, 1]), .init([[1, 1, 3, 69], [2, 5]], [1, 2, 3, -1, 1, 0, 1]),
        ]
        return [
            backward("col2im_f32 conv2d input gradient", family: "conv", tolerance: convTolerance, cases: convCases, wrt: [0], conv),
            backward("im2col_transposed_f32 conv2d weight gradient", family: "conv", tolerance: convTolerance, cases: convCases, wrt: [1], conv),
            backward("im2col_transposed_panels_f32 conv2d weight gradient", family: "conv", tolerance: convTolerance,
                     cases: panelConvCases, wrt: [1], conv),
            KernelCheck("im2col_panels_f32 and im2col_transposed_panels_f32, the other panel width", family: "conv",
                        tolerance: convTolerance, cases: panelConvCases) { inputs, p in
                try onOtherPanelWidth(inputs) { try convAndGradients($0, p) }
            },
            // Batches bigger than one im2col buffer run image by image; the weight gradient then
            // accumulates into dW (matmul_panels_f32 and matmul_f32 with accumulate set).
            KernelCheck("matmul_panels_f32 accumulate: conv2d and gradients in chunks of one image", family: "conv",
                        tolerance: convTolerance, cases: [
                .init([[3, 3, 9, 11], [17, 3, 3, 3]], [1, 1, 1, 1, 1]), .init([[3, 4, 9, 9], [16, 4, 3, 3]], [2, 2, 1, 1, 1]),
                .init([[3, 3, 7, 7], [5, 3, 3, 3]], [1, 1, 1, 1, 1]), .init([[2, 6, 7, 7], [32, 3, 3, 3]], [1, 1, 1, 1, 2]),
            ]) { inputs, p in
                let home = inputs[0].device
                let device = home.openCL.map { Device.opencl($0, im2colLimit: 1000, profile: home.openCLBackend?.profile) } ?? home
                return try convAndGradients(inputs.map { try $0.to(device) }, p).to(home)
            },
            // 3×3 stride-1 convolutions as Winograd F(2×2, 3×3) and F(4×4, 3×3), forced on every
            // case, with both gradients: partial tiles (odd sizes), paddings 0–2, groups, chunks of
            // one image (the weight gradient then accumulates dU), the other panel width. Inputs in
            // ±1: F(4×4)'s transforms (coefficients up to 8 and 1/24) round about 30 times more than
            // the direct sum (5e-6 against 1.5e-7 of max |y| for 256 channels, in float64 against
            // float32), and with values in ±2 its error reached the tolerance's edge.
            winograd("winograd_input_f32 F(2x2,3x3) conv2d and gradients", tile: 2, otherPanelWidth: false),
            winograd("winograd_output_f32 F(4x4,3x3) conv2d and gradients", tile: 4, otherPanelWidth: false),
            winograd("winograd_weight_f32 F(2x2,3x3) conv2d and gradients, the other panel width", tile: 2, otherPanelWidth: true),
            winograd("winograd_output_adjoint_f32 F(4x4,3x3) conv2d and gradients, the other panel width", tile: 4,
                     otherPanelWidth: true),
            winograd("winograd_weight_adjoint_f32 F(4x4,3x3) conv2d and gradients in chunks of one image", tile: 4,
                     otherPanelWidth: false, oneImageChunks: true),
            // The forward input transform reads zero-padded planes (rows of tiles in fours: the last three cases).
            winograd("winograd_pad_f32 F(4x4,3x3) conv2d and gradients in chunks of one image, the other panel width", tile: 4,
                     otherPanelWidth: true, oneImageChunks: true),
            winograd("winograd_input_padded_f32 F(4x4,3x3) conv2d and gradients", tile: 4, otherPanelWidth: false),
            KernelCheck("bias_act_f32", family: "bias_act", tolerance: .exact, cases: biasActCases, body: biasAct),
            backward("bias_act_grad_f32", family: "bias_act", tolerance: .accumulation, cases: biasActCases, biasAct),
            // The CPU profile's kernel for factors 1 and 2 (the others fall back to upfirdn2d_f32 there).
            KernelCheck("upfirdn2d_rows_f32", family: "upfirdn2d", tolerance: .accumulation, cases: upfirdnCases + firCases + rowsCases,
                        body: upfirdn),
            backward("upfirdn2d_rows_f32 adjoint", family: "upfirdn2d", tolerance: .accumulation,
                     cases: upfirdnCases + firCases + rowsCases, wrt: [0], upfirdn),
            // The GPU profile's kernels, on the same runtime.
            KernelCheck("upfirdn2d_f32 (GPU profile)", family: "upfirdn2d", tolerance: .accumulation, cases: upfirdnCases + rowsCases) {
                inputs, p in try onProfile(.gpu, inputs) { try upfirdn($0, p) }
            },
            KernelCheck("upfirdn2d_adjoint_f32 (GPU profile)", family: "upfirdn2d", tolerance: .accumulation,
                        cases: upfirdnCases + rowsCases) { inputs, p in
                try onProfile(.gpu, inputs) { try weightedGradients($0, p, wrt: [0], upfirdn) }
            },
            KernelCheck("upfirdn2d_fir_f32 and its adjoint (GPU profile)", family: "upfirdn2d", tolerance: .accumulation,
                        cases: firCases) { inputs, p in
                try onProfile(.gpu, inputs) {
                    try Tensor.concat([upfirdn($0, p).reshape([-1]), weightedGradients($0, p, wrt: [0], upfirdn)], axis: 0)
                }
            },
            KernelCheck("randn_f32", family: "random", tolerance: Tolerance(absolute: 2e-6, relative: 2e-6), cases: [
                .init([[65]], [1, 0]), .init([[3, 7, 33]], [2024, 17]), .init([[1]], [0, 0]), .init([[2, 1, 5]], [7, 1 << 40]),
            ]) { inputs, p in
                try Tensor.randn(inputs[0].shape, seed: UInt64(p[0]), offset: UInt64(p[1]), on: inputs[0].device)
            },
            KernelCheck("adam_f32", family: "adam", tolerance: Tolerance(absolute: 1e-6, relative: 1e-5), cases: [
                .init([[65], [65]], [0]), .init([[3, 7, 5], [3, 7, 5]], [9]), .init([[1], [1]], [0]),
            ]) { inputs, p in
                let parameter = Parameter("p", try inputs[0] * 1.0)   // a copy: Adam works in place
                let adam = try Adam([parameter], learningRate: 0.01, beta1: Double(p[0]) / 10, beta2: 0.99)
                for step in 1...3 { try adam.update([try inputs[1] * Double(step)]) }
                return try Tensor.concat([parameter.value, adam.moments[0].m, adam.moments[0].v], axis: 0)
            },
        ]
    }

    /// The official composite ops, forward and backward: every kernel they use is checked above;
    /// these check the compositions (shapes, broadcasting, grouping) on the device.
    static var composite: [KernelCheck] {
        let tolerance = Tolerance(absolute: 1e-5, relative: 1e-4)
        // modulated_conv2d parameters: up, demodulate, fused, padding, noise.
        let modconv: (([Tensor], [Int]) throws -> Tensor) = { inputs, p in
            let filter = try Filters.setupFilter(Filters.stylegan2Taps, on: inputs[0].device)
            return try modulatedConv2d(inputs[0], weight: inputs[1], styles: inputs[2], noise: p[4] == 1 ? inputs[3] : nil,
                                       up: p[0], padding: p[3], filter: filter, demodulate: p[1] == 1,
                                       flipWeight: p[0] == 1, fused: p[2] == 1)
        }
        let modconvCases: [KernelCheck.Case] = [
            .init([[2, 3, 5, 5], [4, 3, 3, 3], [2, 3], [2, 1, 5, 5]], [1, 1, 1, 1, 1]),
            .init([[2, 3, 5, 5], [4, 3, 3, 3], [2, 3], [2, 1, 5, 5]], [1, 1, 0, 1, 1]),
            .init([[2, 3, 4, 4], [4, 3, 3, 3], [2, 3], [2, 1, 8, 8]], [2, 1, 1, 1, 1]),
            .init([[2, 3, 4, 4], [4, 3, 3, 3], [2, 3], [2, 1, 8, 8]], [2, 1, 0, 1, 0]),
            .init([[1, 5, 3, 3], [3, 5, 1, 1], [1, 5], [1, 1, 3, 3]], [1, 0, 1, 0, 0]),
        ]
        let ops: [(String, [KernelCheck.Case], ([Tensor], [Int]) throws -> Tensor)] = [
            ("modulated_conv2d", modconvCases, modconv),
            ("fully_connected lrelu", [.init([[3, 7], [5, 7], [5]]), .init([[1, 33], [65, 33], [65]])], { x, _ in
                try x[0].fullyConnected(weight: x[1], bias: x[2], lrMultiplier: 0.01, activation: .lrelu)
            }),
            ("fully_connected linear", [.init([[3, 7], [5, 7], [5]])], { x, _ in
                try x[0].fullyConnected(weight: x[1], bias: x[2])
            }),
            ("normalize_2nd_moment", [.init([[3, 7]]), .init([[1, 65]])], { x, _ in try x[0].normalize2ndMoment() }),
            ("adain", [.init([[2, 3, 5, 5], [2, 2, 3]]), .init([[1, 4, 1, 7], [1, 2, 4]])], { x, _ in
                try x[0].adaIN(styles: x[1])
            }),
            ("minibatch_std", [.init([[4, 3, 3, 3]], [2, 1]), .init([[8, 4, 2, 2]], [4, 2]), .init([[3, 2, 3, 3]], [4, 1])], { x, p in
                try x[0].minibatchStd(groupSize: p[0], numChannels: p[1])
            }),
            ("add_noise", [.init([[2, 3, 5, 5], [2, 1, 5, 5], [1]]), .init([[2, 3, 5, 5], [1, 1, 5, 5], [3]])], { x, _ in
                try x[0].addNoise(x[1], strength: x[2])
            }),
            ("lerp", [.init([[3, 7], [3, 7]])], { x, _ in try x[0].lerp(x[1], 0.995) }),
        ]
        return ops.flatMap { name, cases, f in
            [KernelCheck(name, family: "stylegan", tolerance: tolerance, cases: cases, body: f),
             backward("\(name) backward", family: "stylegan", tolerance: tolerance, cases: cases, f)]
        }
    }
}
