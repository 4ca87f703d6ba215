import KernelChecks
import Tensors
import Testing

/// First- and second-order gradient checks of the general ops, by finite differences in Float64.
@Suite struct GeneralOpGradientTests {
    static let unaryOps: [UnaryOp] = UnaryOp.allCases.filter { $0 != .step }

    @Test(arguments: unaryOps)
    func unary(_ op: UnaryOp) throws {
        let positive: Set<UnaryOp> = [.log, .sqrt, .rsqrt, .reciprocal, .pow]
        let range: ClosedRange<Double> = positive.contains(op) ? 0.5...2 : -2...2
        let (p0, p1): (Double, Double) = op == .clamp ? (-0.5, 0.7) : op == .leakyRelu ? (0.2, 0) : (1.7, -0.3)
        let first = try GradCheck.firstOrder([[3, 5]], range: range) { try $0[0].unary(op, p0, p1) }
        #expect(first.passed, "\(op) first order: \(first)")
        let second = try GradCheck.secondOrder([[3, 5]], range: range) { try $0[0].unary(op, p0, p1) }
        #expect(second.passed, "\(op) second order: \(second)")
    }

    @Test(arguments: BinaryOp.allCases.filter { $0 != .greater })
    func binary(_ op: BinaryOp) throws {
        let range: ClosedRange<Double> = op == .pow || op == .div ? 0.5...2 : -2...2
        for shapes in [[[3, 4], [3, 4]], [[3, 1, 4], [5, 1]], [[4], [1]]] {
            let first = try GradCheck.firstOrder(shapes, range: range) { try $0[0].binary(op, $0[1]) }
            #expect(first.passed, "\(op) \(shapes) first order: \(first)")
            let second = try GradCheck.secondOrder(shapes, range: range) { try $0[0].binary(op, $0[1]) }
            #expect(second.passed, "\(op) \(shapes) second order: \(second)")
        }
    }

    @Test func reductions() throws {
        let ops: [(String, (Tensor) throws -> Tensor)] = [
            ("sum", { try $0.sum(axes: [1]) }), ("mean", { try $0.mean(axes: [0, 2]) }),
            ("max", { try $0.max(axes: [2]) }), ("min", { try $0.min(axes: [1], keepDims: true) }),
            ("sum all", { try $0.sum() }),
        ]
        for (name, op) in ops {
            let first = try GradCheck.firstOrder([[2, 3, 4]]) { try op($0[0]) }
            #expect(first.passed, "\(name) first order: \(first)")
            let second = try GradCheck.secondOrder([[2, 3, 4]]) { try op($0[0]).square() }
            #expect(second.passed, "\(name) second order: \(second)")
        }
    }

    @Test func shapeOps() throws {
        let ops: [(String, [[Int]], ([Tensor]) throws -> Tensor)] = [
            ("reshape", [[2, 6]], { try $0[0].reshape([3, 4]) }),
            ("permute", [[2, 3, 4]], { try $0[0].permute([2, 0, 1]) }),
            ("slice", [[3, 5]], { try $0[0].slice(axis: 1, 1..<4) }),
            ("flip", [[3, 5]], { try $0[0].flip(axes: [0, 1]) }),
            ("expand", [[3, 1]], { try $0[0].expand(to: [2, 3, 4]) }),
            ("concat", [[2, 3], [2, 2]], { try Tensor.concat($0, axis: 1) }),
        ]
        for (name, shapes, op) in ops {
            let first = try GradCheck.firstOrder(shapes) { try op($0) }
            #expect(first.passed, "\(name) first order: \(first)")
            let second = try GradCheck.secondOrder(shapes) { try op($0).square() }
            #expect(second.passed, "\(name) second order: \(second)")
        }
    }

    @Test func matmul() throws {
        let cases: [([[Int]], Bool, Bool)] = [
            ([[3, 4], [4, 5]], false, false), ([[4, 3], [4, 5]], true, false), ([[3, 4], [5, 4]], false, true),
            ([[2, 3, 4], [4, 5]], false, false), ([[4, 3], [2, 4, 5]], true, false), ([[2, 4, 3], [2, 5, 4]], true, true),
        ]
        for (shapes, tA, tB) in cases {
            let f: ([Tensor]) throws -> Tensor = { try $0[0].matmul($0[1], transposeSelf: tA, transposeOther: tB) }
            let first = try GradCheck.firstOrder(shapes, f)
            #expect(first.passed, "\(shapes) \(tA) \(tB) first order: \(first)")
            let second = try GradCheck.secondOrder(shapes) { try f($0).square() }
            #expect(second.passed, "\(shapes) \(tA) \(tB) second order: \(second)")
        }
    }

    @Test func conv2d() throws {
        // (input, weight, stride, padding, groups)
        let cases: [([Int], [Int], Int, Int, Int)] = [
            ([2, 3, 5, 5], [4, 3, 3, 3], 1, 1, 1), ([1, 2, 6, 6], [3, 2, 3, 3], 2, 1, 1),
            ([2, 4, 4, 4], [2, 2, 3, 3], 1, 0, 2), ([1, 3, 4, 4], [2, 3, 1, 1], 1, 0, 1),
        ]
        for (x, w, s, p, g) in cases {
            let f: ([Tensor]) throws -> Tensor = { try $0[0].conv2d($0[1], stride: (s, s), padding: (p, p), groups: g) }
            let first = try GradCheck.firstOrder([x, w], f)
            #expect(first.passed, "\(x) \(w) first order: \(first)")
            let second = try GradCheck.secondOrder([x, w]) { try f($0).square() }
            #expect(second.passed, "\(x) \(w) second order: \(second)")
        }
    }

    @Test func gradientOfUnusedInputIsZeroAndNoGradRecordsNothing() throws {
        let x = try Tensor.uniform([3], seed: 1).requiringGrad()
        let unused = try Tensor.uniform([2], seed: 2).requiringGrad()
        let grads = try gradients(of: try (x * x).sum(), wrt: [x, unused])
        #expect(try grads[1].toArray() == [0, 0])
        let y = try GradMode.disabled { try x * x }
        #expect(!y.requiresGrad)
        #expect { try gradients(of: y, wrt: [y]) } throws: { "\($0)".contains("does not require gradients") }
    }

    @Test func gradientsAreNotDetachedUnlessAsked() throws {
        let x = try Tensor([0.5, -1, 2], shape: [3], dtype: .float64).requiringGrad()
        let y = try (x * x * x).sum()
        let g = try gradients(of: y, wrt: [x], createGraph: true)[0]  // 3x²
        #expect(g.requiresGrad)
        let gg = try gradients(of: g.sum(), wrt: [x])[0]  // 6x
        #expect(try gg.toDoubles() == [3, -6, 12])
        let plain = try gradients(of: y, wrt: [x])[0]
        #expect(!plain.requiresGrad)
    }
}
