import Tensors

extension KernelChecks {
    /// `reduce_f32` (a work-group per output) for sum, max, min and mean over leading, middle,
    /// trailing and all axes, and `reduce_serial_f32` (a work-item per output, for 256 outputs or
    /// more with short reductions or contiguous kept axes) and `reduce_rows_f32` (the CPU profile's
    /// long contiguous runs); a case's parameters are the axes.
    static var reduce: [KernelCheck] {
        let cases: [KernelCheck.Case] = [
            .init([[65]], []), .init([[3, 7, 33]], [1]), .init([[3, 7, 33]], [0, 2]), .init([[1, 1]], [0]),
            .init([[2, 3, 5, 7]], [1, 3]), .init([[1027]], [0]), .init([[33, 65]], [1]), .init([[65, 33]], [0]),
            .init([[4, 1, 3]], [1]),
        ]
        let serialCases: [KernelCheck.Case] = [
            .init([[300, 9]], [1]), .init([[3, 7, 300]], [1]), .init([[5, 6, 7, 80]], [0, 2]), .init([[257, 1]], [1]),
            .init([[2, 300, 3, 2, 5]], [0, 2, 4]), .init([[600, 100]], [1]),
        ]
        // Contiguous reduced runs of 64 or more, 16 outputs or more: runs with tails, an outer reduced dim.
        let rowsCases: [KernelCheck.Case] = [
            .init([[40, 300]], [1]), .init([[4, 17, 70]], [0, 2]), .init([[64, 33, 16]], [1, 2]), .init([[20, 1027]], [1]),
            .init([[2, 6, 3, 200]], [0, 3]),
        ]
        let ops: [(String, (Tensor, [Int]) throws -> Tensor)] = [
            ("sum", { try $0.sum(axes: $1) }),
            ("mean", { try $0.mean(axes: $1) }),
            ("max", { try $0.max(axes: $1) }),
            ("min", { try $0.min(axes: $1) }),
        ]
        return ops.flatMap { name, op in
            [("reduce_f32", cases), ("reduce_serial_f32", serialCases), ("reduce_rows_f32", rowsCases)].map { kernel, cases in
                KernelCheck("\(kernel) \(name)", family: "reduce",
                            tolerance: name == "sum" || name == "mean" ? .accumulation : .exact,
                            cases: cases) { inputs, axes in try op(inputs[0], axes) }
            }
        }
    }
}
