import Tensors

extension KernelChecks {
    /// `reduce_f32` for sum, max, min and mean over leading, middle, trailing and all axes;
    /// a case's parameters are the axes.
    static var reduce: [KernelCheck] {
        let cases: [KernelCheck.Case] = [
            .init([[65]], []), .init([[3, 7, 33]], [1]), .init([[3, 7, 33]], [0, 2]), .init([[1, 1]], [0]),
            .init([[2, 3, 5, 7]], [1, 3]), .init([[1027]], [0]), .init([[33, 65]], [1]), .init([[65, 33]], [0]),
            .init([[4, 1, 3]], [1]),
        ]
        let ops: [(String, (Tensor, [Int]) throws -> Tensor)] = [
            ("sum", { try $0.sum(axes: $1) }),
            ("mean", { try $0.mean(axes: $1) }),
            ("max", { try $0.max(axes: $1) }),
            ("min", { try $0.min(axes: $1) }),
        ]
        return ops.map { name, op in
            KernelCheck("reduce_f32 \(name)", family: "reduce",
                        tolerance: name == "sum" || name == "mean" ? .accumulation : .exact,
                        cases: cases) { inputs, axes in try op(inputs[0], axes) }
        }
    }
}
