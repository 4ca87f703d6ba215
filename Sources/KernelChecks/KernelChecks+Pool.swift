import Tensors

extension KernelChecks {
    /// `max_pool2d_f32` and `avg_pool2d_f32` (both counting modes): odd sizes, strides 1 and 2, with
    /// and without padding, non-square windows, and windows that overhang the image's edge.
    /// A case's parameters: kernel y, x, stride y, x, padding y, x.
    static var pool: [KernelCheck] {
        let cases: [KernelCheck.Case] = [
            .init([[2, 3, 9, 11]], [3, 3, 2, 2, 0, 0]), .init([[1, 5, 7, 7]], [3, 3, 1, 1, 1, 1]),
            .init([[3, 2, 8, 13]], [2, 3, 2, 1, 1, 1]), .init([[1, 1, 5, 5]], [5, 5, 1, 1, 2, 2]),
            .init([[2, 33, 6, 5]], [3, 3, 2, 2, 1, 0]), .init([[1, 2, 1, 1]], [1, 1, 1, 1, 0, 0]),
        ]
        let kinds: [(String, Pool2dParameters.Kind, Bool)] = [
            ("max_pool2d_f32", .max, true),
            ("avg_pool2d_f32", .average, true),
            ("avg_pool2d_f32 count_include_pad=False", .average, false),
        ]
        return kinds.map { name, kind, countAll in
            KernelCheck(name, family: "pool", tolerance: kind == .max ? .exact : .accumulation, cases: cases) { inputs, p in
                try inputs[0].pool2d(Pool2dParameters(kind, kernel: (p[0], p[1]), stride: (p[2], p[3]), padding: (p[4], p[5]),
                                                      countIncludesPadding: countAll))
            }
        }
    }
}
