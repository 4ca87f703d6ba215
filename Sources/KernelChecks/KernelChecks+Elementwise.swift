import Tensors

extension KernelChecks {
    /// `unary_f32` for every `UnaryOp`; `binary_rows_f32` (CPU profile) and `binary_f32` (GPU profile)
    /// for every `BinaryOp` with broadcasting.
    static var elementwise: [KernelCheck] {
        let unaryShapes: [[[Int]]] = [[[65]], [[3, 7, 33]], [[1]], [[2, 1, 65, 3]]]
        let unary = UnaryOp.allCases.map { op -> KernelCheck in
            let positive: Set<UnaryOp> = [.log, .sqrt, .rsqrt, .reciprocal, .pow]
            let tolerance: Tolerance
            switch op {
            case .neg, .abs, .square, .relu, .leakyRelu, .step, .clamp: tolerance = .exact
            case .affine: tolerance = Tolerance(absolute: 1e-6, relative: 2.4e-7)
            case .pow: tolerance = Tolerance(absolute: 1e-7, relative: 4e-6)
            default: tolerance = Tolerance(absolute: 1e-7, relative: 2e-6)
            }
            // Parameters that exercise p0 and p1 where the op has them.
            let (p0, p1): (Double, Double) = switch op {
            case .leakyRelu: (0.2, 0)
            case .affine: (1.7, -0.3)
            case .pow: (1.5, 0)
            case .clamp: (-0.5, 0.75)
            default: (0, 0)
            }
            return KernelCheck(
                "unary_f32 \(op.rawValue)", family: "elementwise", tolerance: tolerance, shapes: unaryShapes,
                inputRange: positive.contains(op) ? 0.1...4 : -4...4
            ) { try $0[0].unary(op, p0, p1) }
        }
        let binaryShapes: [[[Int]]] = [
            [[33, 65], [33, 65]], [[3, 1, 7], [1, 5, 1]], [[65], [1]], [[2, 3, 4, 5], [4, 1]], [[1], [1]], [[7], [3, 7]],
            [[2, 3, 4, 5], [2, 1, 4, 1]],
        ]
        // binary_rows_f32 (the CPU profile) with rows split into several runs and a partial last run.
        let rowsShapes = binaryShapes + [[[3, 4100], [3, 4100]], [[1100], [1]], [[2, 700], [2, 1]]]
        let binary = BinaryOp.allCases.flatMap { op -> [KernelCheck] in
            let tolerance: Tolerance = switch op {
            case .div: Tolerance(absolute: 0, relative: 4e-7)
            case .pow: Tolerance(absolute: 1e-7, relative: 4e-6)
            default: .exact
            }
            let range: ClosedRange<Double> = op == .pow || op == .div ? 0.1...3 : -3...3
            return [
                KernelCheck("binary_rows_f32 \(op.rawValue)", family: "elementwise", tolerance: tolerance, shapes: rowsShapes,
                            inputRange: range) { try $0[0].binary(op, $0[1]) },
                KernelCheck("binary_f32 \(op.rawValue) (GPU profile)", family: "elementwise", tolerance: tolerance,
                            shapes: binaryShapes, inputRange: range) { inputs in
                    try onProfile(.gpu, inputs) { try $0[0].binary(op, $0[1]) }
                },
            ]
        }
        return unary + binary
    }
}
