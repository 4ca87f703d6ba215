import Tensors

extension KernelChecks {
    /// The augmentation kernels (`augment.cl`) and their adjoints: odd sizes, rectangular images,
    /// pads up to one less than the image, and random affine maps around the identity (rotation,
    /// shear, scale and shift) as well as a strong magnification and a mirror.
    static var augment: [KernelCheck] {
        // pad parameters: x0, x1, y0, y1.
        let pad: (([Tensor], [Int]) throws -> Tensor) = { inputs, p in try inputs[0].padReflect((p[0], p[1], p[2], p[3])) }
        let padCases: [KernelCheck.Case] = [
            .init([[2, 3, 5, 7]], [1, 2, 3, 0]), .init([[1, 2, 9, 4]], [3, 3, 8, 8]), .init([[3, 1, 2, 2]], [1, 1, 1, 1]),
            .init([[1, 1, 6, 11]], [0, 10, 5, 2]),
        ]
        // grid sample: the second input [N, 2, 3] is scaled by p[2]/10 and added to the identity map
        // (p[3] = -1 mirrors x); the output is p[0] × p[1].
        let grid: (([Tensor], [Int]) throws -> Tensor) = { inputs, p in
            let n = inputs[0].shape[0]
            let identity = try Tensor(Array(repeating: [Double(p[3]), 0, 0, 0, 1, 0], count: n).flatMap { $0 }, shape: [n, 2, 3],
                                      dtype: inputs[1].dtype, on: inputs[1].device)
            let theta = try GradMode.disabled { try inputs[1] * (Double(p[2]) / 10) + identity }
            return try inputs[0].affineGridSample(theta: theta, outputSize: (p[0], p[1]))
        }
        let gridCases: [KernelCheck.Case] = [
            .init([[2, 3, 7, 9], [2, 2, 3]], [7, 9, 2, 1]), .init([[3, 2, 11, 6], [3, 2, 3]], [15, 13, 3, 1]),
            .init([[1, 3, 8, 8], [1, 2, 3]], [5, 4, 1, -1]), .init([[2, 1, 5, 13], [2, 2, 3]], [20, 26, 1, 1]),
            .init([[2, 2, 9, 9], [2, 2, 3]], [9, 9, 0, 1]),
        ]
        let color: (([Tensor], [Int]) throws -> Tensor) = { inputs, _ in try inputs[0].colorMatrix(inputs[1]) }
        let colorCases: [KernelCheck.Case] = [
            .init([[2, 3, 5, 7], [2, 3, 4]]), .init([[3, 1, 4, 9], [3, 1, 2]]), .init([[1, 3, 1, 1], [1, 3, 4]]),
        ]
        // sample FIR parameter: the axis (2: y, 3: x).
        let fir: (([Tensor], [Int]) throws -> Tensor) = { inputs, p in try inputs[0].sampleFIR(taps: inputs[1], axis: p[0]) }
        let firCases: [KernelCheck.Case] = [
            .init([[2, 3, 9, 11], [2, 5]], [3]), .init([[2, 3, 9, 11], [2, 5]], [2]), .init([[3, 1, 7, 40], [3, 31]], [3]),
            .init([[1, 2, 33, 4], [1, 33]], [2]), .init([[2, 1, 3, 3], [2, 1]], [3]),
        ]
        return [
            KernelCheck("pad_reflect_f32", family: "augment", tolerance: .exact, cases: padCases, body: pad),
            backward("pad_reflect_adjoint_f32", family: "augment", tolerance: .accumulation, cases: padCases, pad),
            KernelCheck("affine_grid_sample_f32", family: "augment", tolerance: .accumulation, cases: gridCases, body: grid),
            backward("affine_grid_sample_adjoint_f32", family: "augment", tolerance: .accumulation, cases: gridCases, wrt: [0], grid),
            KernelCheck("color_matrix_f32", family: "augment", tolerance: .accumulation, cases: colorCases, body: color),
            backward("color_matrix_f32 adjoint", family: "augment", tolerance: .accumulation, cases: colorCases, wrt: [0], color),
            KernelCheck("sample_fir_f32", family: "augment", tolerance: .accumulation, cases: firCases, body: fir),
            backward("sample_fir_adjoint_f32", family: "augment", tolerance: .accumulation, cases: firCases, wrt: [0], fir),
        ]
    }
}
