import Tensors

extension KernelChecks {
    /// `copy_strided_f32` through permute, transpose, slice, concat and expand; `fill_f32`.
    static var copy: [KernelCheck] {
        [
            KernelCheck("copy_strided_f32 permute", family: "copy", tolerance: .exact, cases: [
                .init([[3, 7, 33]], [2, 0, 1]), .init([[65, 1]], [1, 0]), .init([[2, 3, 5, 7]], [0, 2, 3, 1]), .init([[1]], [0]),
            ]) { inputs, order in try inputs[0].permute(order) },
            KernelCheck("copy_strided_f32 slice", family: "copy", tolerance: .exact, cases: [
                .init([[3, 7, 33]], [2, 5, 30]), .init([[65]], [0, 1, 64]), .init([[7, 65]], [0, 3, 4]),
            ]) { inputs, p in try inputs[0].slice(axis: p[0], p[1]..<p[2]) },
            KernelCheck("copy_strided_f32 concat", family: "copy", tolerance: .exact, cases: [
                .init([[3, 7, 5], [3, 2, 5], [3, 1, 5]], [1]), .init([[65], [1]], [0]), .init([[1, 3], [2, 3]], [0]),
                .init([[2, 3, 7], [2, 3, 33]], [2]),
            ]) { inputs, p in try Tensor.concat(inputs, axis: p[0]) },
            KernelCheck("copy_strided_f32 expand", family: "copy", tolerance: .exact, cases: [
                .init([[3, 1, 7]], [2, 3, 5, 7]), .init([[1]], [65]), .init([[33, 1]], [33, 3]),
            ]) { inputs, target in try inputs[0].expand(to: target) },
            KernelCheck("fill_f32", family: "copy", tolerance: .exact, shapes: [[[65]], [[1]], [[3, 7, 33]]]) { inputs in
                try Tensor.full(-0.375, shape: inputs[0].shape, on: inputs[0].device)
            },
        ]
    }
}
