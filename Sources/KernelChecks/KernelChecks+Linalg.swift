import Tensors
import TensorsOpenCL

extension KernelChecks {
    /// `matmul_f32` (fewer than 16 rows) and `pack_panels_f32` with `matmul_panels_f32` (16 rows or
    /// more): plain, batched, broadcast batch, transposed operands, full register blocks and edges.
    static var matmul: [KernelCheck] {
        let tolerance = Tolerance.accumulation
        return [
            KernelCheck("matmul_f32", family: "matmul", tolerance: tolerance, shapes: [
                [[7, 33], [33, 65]], [[1, 1], [1, 1]], [[8, 64], [64, 32]], [[4, 16], [16, 16]], [[15, 0], [0, 7]],
            ]) { try $0[0].matmul($0[1]) },
            KernelCheck("matmul_f32 batched", family: "matmul", tolerance: tolerance, shapes: [
                [[3, 5, 7], [3, 7, 33]], [[1, 4, 16], [1, 16, 32]], [[3, 5, 7], [7, 9]], [[5, 7], [2, 7, 3]],
            ]) { try $0[0].matmul($0[1]) },
            KernelCheck("matmul_f32 transposed A", family: "matmul", tolerance: tolerance, shapes: [
                [[33, 7], [33, 65]], [[2, 16, 8], [2, 16, 32]],
            ]) { try $0[0].matmul($0[1], transposeSelf: true) },
            KernelCheck("matmul_f32 transposed B", family: "matmul", tolerance: tolerance, shapes: [
                [[7, 33], [65, 33]], [[2, 8, 16], [2, 32, 16]],
            ]) { try $0[0].matmul($0[1], transposeOther: true) },
            KernelCheck("matmul_panels_f32", family: "matmul", tolerance: tolerance, shapes: [
                [[65, 3], [3, 17]], [[33, 1], [1, 65]], [[37, 45], [45, 70]], [[16, 5], [5, 32]], [[19, 0], [0, 7]],
            ]) { try $0[0].matmul($0[1]) },
            KernelCheck("matmul_panels_f32 batched", family: "matmul", tolerance: tolerance, shapes: [
                [[3, 17, 9], [3, 9, 40]], [[2, 21, 9], [9, 33]], [[18, 9], [2, 9, 31]],
            ]) { try $0[0].matmul($0[1]) },
            KernelCheck("matmul_panels_f32 transposed A", family: "matmul", tolerance: tolerance, shapes: [
                [[9, 35], [9, 41]], [[2, 7, 16], [2, 7, 32]],
            ]) { try $0[0].matmul($0[1], transposeSelf: true) },
            KernelCheck("pack_panels_f32 transposed B", family: "matmul", tolerance: tolerance, shapes: [
                [[35, 9], [41, 9]], [[2, 16, 8], [2, 64, 8]],
            ]) { try $0[0].matmul($0[1], transposeOther: true) },
            // The GPU profile's tiled product, on the same runtime: every shape above, with edges
            // of partial tiles, transposes and broadcast batches.
            KernelCheck("matmul_tiled_f32 (GPU profile)", family: "matmul", tolerance: tolerance, shapes: [
                [[7, 33], [33, 65]], [[37, 45], [45, 70]], [[3, 17, 9], [3, 9, 40]], [[5, 7], [2, 7, 3]], [[15, 0], [0, 7]],
                [[33, 7], [33, 65]], [[7, 33], [65, 33]], [[1, 1], [1, 1]],
            ]) { inputs in
                try onProfile(.gpu, inputs) { x in
                    if x[0].shape == [33, 7] { return try x[0].matmul(x[1], transposeSelf: true) }
                    if x[1].shape == [65, 33] { return try x[0].matmul(x[1], transposeOther: true) }
                    return try x[0].matmul(x[1])
                }
            },
            // The other panel width (16 on devices with 8-wide vectors, 32 with 16-wide ones).
            KernelCheck("matmul_panels_f32 other panel width", family: "matmul", tolerance: tolerance, shapes: [
                [[37, 45], [45, 70]], [[2, 21, 9], [9, 33]], [[35, 9], [41, 9]], [[16, 5], [5, 15]],
            ]) { inputs in
                try onOtherPanelWidth(inputs) { x in
                    x[1].shape[1] == 9 && x[0].shape[1] == 9 ? try x[0].matmul(x[1], transposeOther: true) : try x[0].matmul(x[1])
                }
            },
        ]
    }

    /// `im2col_f32` with `matmul_f32` (and `im2col_panels_f32` for 16 or more output channels): 3×3, 1×1, strided, grouped, 4×4, 5×5 valid; parameters are
    /// stride y, stride x, padding y, padding x, groups.
    static var conv: [KernelCheck] {
        [
            KernelCheck("im2col_f32 conv2d", family: "conv", tolerance: Tolerance(absolute: 5e-5, relative: 1e-5), cases: [
                .init([[1, 3, 7, 7], [5, 3, 3, 3]], [1, 1, 1, 1, 1]),
                .init([[2, 4, 9, 9], [6, 4, 1, 1]], [1, 1, 0, 0, 1]),
                .init([[3, 5, 11, 13], [7, 5, 3, 3]], [2, 2, 1, 1, 1]),
                .init([[2, 6, 7, 7], [4, 3, 3, 3]], [1, 1, 1, 1, 2]),
                .init([[1, 2, 8, 8], [3, 2, 4, 4]], [1, 1, 2, 1, 1]),
                .init([[1, 3, 9, 9], [2, 3, 5, 5]], [1, 2, 0, 0, 1]),
                .init([[2, 33, 5, 5], [65, 33, 3, 3]], [1, 1, 1, 1, 1]),
                .init([[1, 4, 6, 6], [4, 1, 3, 3]], [2, 1, 1, 0, 4]),
                .init([[2, 3, 5, 5], [2, 3, 1, 1]], [2, 2, 0, 0, 1]),
            ]) { inputs, p in
                try inputs[0].conv2d(inputs[1], stride: (p[0], p[1]), padding: (p[2], p[3]), groups: p[4])
            },
            // 16 or more output channels per group: im2col writes the matmul's panels directly.
            KernelCheck("im2col_panels_f32 conv2d", family: "conv", tolerance: Tolerance(absolute: 5e-5, relative: 1e-5), cases: [
                .init([[2, 3, 9, 40], [17, 3, 3, 3]], [1, 1, 1, 1, 1]),
                .init([[1, 4, 11, 37], [16, 4, 3, 3]], [2, 2, 1, 1, 1]),
                .init([[2, 6, 7, 35], [32, 3, 3, 3]], [1, 1, 1, 1, 2]),
                .init([[1, 5, 6, 6], [20, 5, 4, 4]], [1, 1, 2, 1, 1]),
                .init([[3, 2, 5, 5], [16, 2, 1, 1]], [2, 2, 0, 0, 1]),
                // Stride 2 with output rows of 16 and 8 (the even lanes of whole-row loads), and with padding.
                .init([[2, 3, 33, 33], [16, 3, 3, 3]], [2, 2, 0, 0, 1]), .init([[1, 2, 17, 17], [16, 2, 3, 3]], [2, 2, 0, 0, 1]),
                .init([[1, 3, 32, 32], [16, 3, 3, 3]], [2, 2, 1, 1, 1]),
            ]) { inputs, p in
                try inputs[0].conv2d(inputs[1], stride: (p[0], p[1]), padding: (p[2], p[3]), groups: p[4])
            },
        ]
    }

    /// `body` on a device of the same OpenCL runtime with `profile`, its result brought back; the
    /// reference backend runs `body` as it is.
    static func onProfile(_ profile: OpenCLBackend.Profile, _ inputs: [Tensor], _ body: ([Tensor]) throws -> Tensor) throws -> Tensor {
        let home = inputs[0].device
        guard let runtime = home.openCL else { return try body(inputs) }
        let device = Device.opencl(runtime, profile: profile)
        return try body(inputs.map { try $0.to(device) }).to(home)
    }

    /// `body` on a CPU-profile device of the same OpenCL runtime that runs every 3×3 stride-1
    /// convolution as Winograd F(tile×tile, 3×3), chunked under `limit` elements (with the other
    /// panel width when asked), its result brought back; the reference backend runs `body` as it is.
    static func onWinograd(tile: Int, limit: Int, otherPanelWidth: Bool, _ inputs: [Tensor],
                           _ body: ([Tensor]) throws -> Tensor) throws -> Tensor {
        let home = inputs[0].device
        guard let backend = home.openCLBackend else { return try body(inputs) }
        let width = otherPanelWidth ? (backend.panelWidth == 32 ? 16 : 32) : backend.panelWidth
        let device = Device.opencl(backend.runtime, im2colLimit: limit, panelWidth: width, profile: .cpu, winogradTile: tile)
        return try body(inputs.map { try $0.to(device) }).to(home)
    }

    /// `body` on a device of the same OpenCL runtime with the other panel width (16 ↔ 32), its
    /// result brought back; the reference backend runs `body` as it is.
    static func onOtherPanelWidth(_ inputs: [Tensor], _ body: ([Tensor]) throws -> Tensor) throws -> Tensor {
        let home = inputs[0].device
        guard let backend = home.openCLBackend else { return try body(inputs) }
        let runtime = backend.runtime
        let device = Device.opencl(runtime, panelWidth: backend.panelWidth == 32 ? 16 : 32, profile: .cpu)
        return try body(inputs.map { try $0.to(device) }).to(home)
    }
}
