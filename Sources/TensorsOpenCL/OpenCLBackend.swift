import Foundation
import OpenCLRuntime
import Tensors

/// Elements of the OpenCL backend: a pooled device buffer.
public final class OpenCLStorage: Storage {
    public let buffer: PooledBuffer
    public let count: Int
    public let dtype: DType

    init(buffer: PooledBuffer, count: Int, dtype: DType) {
        self.buffer = buffer
        self.count = count
        self.dtype = dtype
    }

    var mem: CLBuffer { buffer.buffer }
}

/// The OpenCL backend: every op is a kernel launch on one device's in-order queue.
///
/// Nothing here waits for the device except `download` and `synchronize`.
public final class OpenCLBackend: Backend {
    public func marker() throws -> (any QueueMarker)? { try runtime.marker() }

    public var statistics: BackendStatistics {
        var s = BackendStatistics()
        let pool = runtime.pool.statistics, compiled = runtime.compileStatistics
        (s.peakBytes, s.allocations, s.launches) = (pool.peakBytes, pool.allocations, runtime.launchCount)
        (s.compiledPrograms, s.compileSeconds) = (compiled.programs, compiled.seconds)
        return s
    }

    public var memoryBytes: Int? { Int(clamping: runtime.device.globalMemoryBytes) }

    public let runtime: OpenCLDevice
    public let name: String

    /// Largest im2col buffer of a convolution, in elements; bigger batches run in chunks of
    /// images (the weight gradient then accumulates over the chunks).
    public let im2colLimit: Int

    /// Columns per panel of `matmul_panels_f32`'s B: 32 on CPUs with 16-wide float vectors
    /// (AVX-512), else 16 (see Kernels/matmul.cl). `OpenCLBackendOptions.panelWidth` overrides the choice.
    public let panelWidth: Int

    /// The output tile of the 3×3 stride-1 convolutions' Winograd form on the CPU profile: nil
    /// chooses per convolution between F(2×2) and F(4×4) or im2col (`winogradPlan`), 0 always uses
    /// im2col, 2 or 4 allow that tile only. `OpenCLBackendOptions.winogradTile` sets it.
    public let winogradTile: Int?

    /// Which kernel variants the device gets: `cpu` (register-blocked panels sized by the vector
    /// width, serial reductions) or `gpu` (local-memory tiled products, work-group reductions).
    public enum Profile: String, Sendable {
        case cpu, gpu

        /// The profile for `device`, from its type: CPUs get `cpu`, GPUs and accelerators `gpu`
        /// (`OpenCLBackendOptions.profile` forces one, so that the GPU path is checked on CPU runtimes too).
        static func choose(for device: CLDevice) -> Profile {
            device.typeName == "cpu" ? .cpu : .gpu
        }
    }
    public let profile: Profile

    public init(runtime: OpenCLDevice, im2colLimit: Int = 32 << 20, panelWidth: Int? = nil, profile: Profile? = nil,
                winogradTile: Int? = nil) {
        self.runtime = runtime
        self.im2colLimit = max(1, im2colLimit)
        let profile = profile ?? Profile.choose(for: runtime.device)
        self.profile = profile
        self.name = "\(runtime.device.spec) \(runtime.device.name)" + (profile == .gpu && runtime.device.typeName == "cpu" ? " (GPU profile)" : "")
        self.maxWorkGroupSize = runtime.device.maxWorkGroupSize
        self.panelWidth = panelWidth == 16 || panelWidth == 32 ? panelWidth! : Self.defaultPanelWidth(runtime.device)
        self.winogradTile = [0, 2, 4].contains(winogradTile) ? winogradTile : nil
    }

    /// 32 on a CPU device whose native float vector holds 16 lanes and whose host has AVX-512
    /// (`/proc/cpuinfo`, where there is one): with 16 vector registers (AVX2) a 4×32 block spills
    /// and runs at half the speed of 4×16. 16 on GPUs and everything else.
    static func defaultPanelWidth(_ device: CLDevice) -> Int {
        guard device.typeName == "cpu", device.nativeFloatVectorWidth >= 16 else { return 16 }
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return 32 }
        return cpuinfo.contains(" avx512f") ? 32 : 16
    }

    /// The build options of the kernels that read or write panels.
    var panelOptions: String { "-DPANEL=\(panelWidth)" }

    /// The CPU profile: a work-item streaming its own contiguous run is as good as a group, and
    /// products read B from register-blocked panels.
    var isCPU: Bool { profile == .cpu }
    /// The device's largest work-group (read once: reductions size their groups by it).
    let maxWorkGroupSize: Int

    // Kernel files, one per op family.
    static let elementwise = "elementwise.cl"
    static let copyFile = "copy.cl"
    static let reduceFile = "reduce.cl"
    static let matmulFile = "matmul.cl"
    static let convFile = "conv.cl"

    func storage(_ s: Storage) -> OpenCLStorage {
        guard let s = s as? OpenCLStorage else { preconditionFailure("OpenCL backend given storage of another backend") }
        return s
    }

    func checkType(_ dtype: DType, _ op: String) throws {
        guard dtype == .float32 else {
            throw TensorError.unsupported(op: op, reason: "the OpenCL backend has \(dtype.rawValue) kernels for float32 only")
        }
    }

    public func allocate(count: Int, dtype: DType) throws -> Storage {
        try checkType(dtype, "allocate")
        guard count < Int(Int32.max) else {
            throw TensorError.unsupported(op: "allocate", reason: "\(count) elements exceed the 2^31 that kernels index; lower --batch or the resolution")
        }
        return OpenCLStorage(buffer: try runtime.pool.buffer(byteCount: count * dtype.byteSize), count: count, dtype: dtype)
    }

    public func upload(_ values: [Float], dtype: DType) throws -> Storage {
        let out = try allocate(count: values.count, dtype: dtype)
        try values.withUnsafeBytes { try runtime.write(storage(out).mem, bytes: $0) }
        return out
    }

    public func download(_ s: Storage) throws -> [Float] {
        var out = [Float](repeating: 0, count: s.count)
        try out.withUnsafeMutableBytes { try runtime.read(storage(s).mem, into: $0) }
        return out
    }

    public func fill(_ value: Double, count: Int, dtype: DType) throws -> Storage {
        let out = try allocate(count: count, dtype: dtype)
        try fillF32(out: storage(out).mem, n: count, value: Float(value))
        return out
    }

    public func unary(_ op: UnaryOp, _ x: Storage, p0: Double, p1: Double) throws -> Storage {
        let out = try allocate(count: x.count, dtype: x.dtype)
        try unaryF32(op: op.definition.cl, out: storage(out).mem, x: storage(x).mem, n: x.count, p0: Float(p0), p1: Float(p1))
        return out
    }

    public func binary(_ op: BinaryOp, _ a: Storage, strides aStrides: [Int], _ b: Storage, strides bStrides: [Int],
                       shape: [Int]) throws -> Storage {
        let count = Shape.count(shape)
        let out = try allocate(count: count, dtype: a.dtype)
        let merged = Shape.collapse(shape, [aStrides, bStrides])
        try checkRank(merged.shape, "binary \(op.rawValue)")
        let (aInner, bInner) = (merged.strides[0].last ?? 1, merged.strides[1].last ?? 1)
        if isCPU && count > 0 && (0...1).contains(aInner) && (0...1).contains(bInner) {
            // Runs of the innermost axis, about 512 work-items or more, at least 256 outputs each where the axis is that long.
            let n0 = merged.shape.last ?? 1
            let chunk = min(n0, max(256, (count / 512 + 15) / 16 * 16))
            try binaryRowsF32(op: op.definition.cl, aInner: aInner, bInner: bInner, global: [(n0 + chunk - 1) / chunk, count / n0],
                              out: storage(out).mem, a: storage(a).mem, b: storage(b).mem, rank: merged.shape.count,
                              shape8: merged.shape.reversed(), aStride8: merged.strides[0].reversed(),
                              bStride8: merged.strides[1].reversed(), chunk: chunk,
                              profileLabel: "\(merged.shape) a\(merged.strides[0]) b\(merged.strides[1])")
            return out
        }
        try binaryF32(op: op.definition.cl, global: Self.innermostFirst(merged.shape), out: storage(out).mem, a: storage(a).mem,
                      b: storage(b).mem, rank: merged.shape.count, shape8: merged.shape.reversed(),
                      aStride8: merged.strides[0].reversed(), bStride8: merged.strides[1].reversed(),
                      profileLabel: "\(merged.shape) a\(merged.strides[0]) b\(merged.strides[1])")
        return out
    }

    public func reduce(_ op: ReduceOp, _ x: Storage, shape: [Int], axes: [Int], scale: Double) throws -> Storage {
        let strides = Shape.strides(shape)
        let keptAxes = shape.indices.filter { !axes.contains($0) }
        let reducedAxes = shape.indices.filter { axes.contains($0) }
        let kept = Shape.collapse(keptAxes.map { shape[$0] }, [keptAxes.map { strides[$0] }])
        let reduced = Shape.collapse(reducedAxes.map { shape[$0] }, [reducedAxes.map { strides[$0] }])
        try checkRank(kept.shape, "reduce \(op.rawValue)")
        try checkRank(reduced.shape, "reduce \(op.rawValue)")
        let outCount = Shape.count(keptAxes.map { shape[$0] })
        let reducedCount = Shape.count(reducedAxes.map { shape[$0] })
        let out = try allocate(count: outCount, dtype: x.dtype)
        let (cl, identity, _, _) = op.definition
        let options = "-DREDUCE_OP(a,b)=\(cl) -DREDUCE_INIT=\(identity)"
        // A work-item per output where that keeps the cores busy and reads memory in order: short
        // reductions, contiguous kept axes, and on a CPU any reduction of moderate length.
        let serialLength = reducedCount <= 64 || (reducedCount <= 4096 && (kept.strides[0].last == 1 || isCPU))
        // Shapes and strides innermost axis first, as the strided kernels take them.
        let views = ReduceViews(reducedCount: reducedCount, kept: (kept.shape.reversed(), kept.strides[0].reversed()),
                                reduced: (reduced.shape.reversed(), reduced.strides[0].reversed()))
        // On a CPU, long contiguous runs (at most two reduced dims) in 16-wide loads, a work-item per output.
        if isCPU && outCount >= 16 && reduced.shape.count <= 2 && reduced.strides[0].last == 1 && (reduced.shape.last ?? 0) >= 64 {
            try reduceSerialF32(rows: true, options: options, out: storage(out).mem, in: storage(x).mem, views, scale: Float(scale),
                                outCount: outCount, profileLabel: "\(kept.shape)x\(reduced.shape) in\(reduced.strides[0])")
            return out
        }
        if outCount >= 256 && serialLength {
            try reduceSerialF32(options: options, out: storage(out).mem, in: storage(x).mem, views, scale: Float(scale),
                                outCount: outCount, profileLabel: "\(kept.shape)x\(reduced.shape) in\(reduced.strides[0])")
            return out
        }
        var group = 1
        while group < min(reducedCount, 256) { group *= 2 }
        group = min(group, maxWorkGroupSize)
        while group & (group - 1) != 0 { group &= group - 1 }  // a power of two for the tree
        try reduceF32(options: options, global: [outCount * group], local: [group], out: storage(out).mem, in: storage(x).mem,
                      views, scale: Float(scale), scratchBytes: group * 4,
                      profileLabel: "\(kept.shape)x\(reduced.shape) in\(reduced.strides[0])")
        return out
    }

    public func copy(_ x: Storage, offset: Int, strides: [Int], shape: [Int],
                     into out: Storage, outOffset: Int, outStrides: [Int]) throws {
        let merged = Shape.collapse(shape, [outStrides, strides])
        try checkRank(merged.shape, "copy")
        try copyStridedF32(global: Self.innermostFirst(merged.shape), out: storage(out).mem, outOffset: outOffset,
                           outStride8: merged.strides[0].reversed(), in: storage(x).mem, inOffset: offset,
                           inStride8: merged.strides[1].reversed(), rank: merged.shape.count, shape8: merged.shape.reversed(),
                           profileLabel: "\(merged.shape) out\(merged.strides[0]) in\(merged.strides[1])")
    }

    public func matmul(_ a: Storage, _ aLayout: MatrixLayout, _ b: Storage, _ bLayout: MatrixLayout,
                       batch: Int, m: Int, n: Int, k: Int) throws -> Storage {
        let out = try allocate(count: batch * m * n, dtype: a.dtype)
        try matmul(into: storage(out).mem, offset: 0, batchStride: m * n, storage(a).mem, aLayout, storage(b).mem, bLayout,
                   batch: batch, m: m, n: n, k: k)
        return out
    }

    /// Products with at least this many rows copy B into column panels first (`pack_panels_f32`):
    /// the extra pass over B costs about 1/M of the product and makes its reads contiguous.
    static let panelMinimumRows = 16

    /// C[b] = A[b]·B[b] written (or, with `accumulate`, added) at `offset + b * batchStride` of `c`;
    /// rows of C are contiguous. `matmul_f32` below `panelMinimumRows` rows, else B packed into
    /// panels for `matmul_panels_f32`.
    func matmul(into c: CLBuffer, offset: Int, batchStride: Int, _ a: CLBuffer, _ aLayout: MatrixLayout,
                _ b: CLBuffer, _ bLayout: MatrixLayout, batch: Int, m: Int, n: Int, k: Int,
                accumulate: Bool = false) throws {
        // Built only when profiling (launch takes the label as an autoclosure).
        func label() -> String { "\(batch)x[\(m)x\(k)\(aLayout.columnStride == 1 ? "" : "ᵀ")]·[\(k)x\(n)\(bLayout.columnStride == 1 ? "" : "ᵀ")]" }
        if !isCPU {
            // The GPU profile: local-memory tiles, 16x16 work-groups.
            try matmulF32(tiled: true, global: [(n + 15) / 16 * 16, (m + 15) / 16 * 16, batch], local: [16, 16, 1],
                          c: c, cOffset: offset, cBatchStride: batchStride, a: a, aLayout, b: b, bLayout,
                          m: m, n: n, k: k, accumulate: accumulate, profileLabel: label())
            return
        }
        guard m >= Self.panelMinimumRows else {
            try matmulF32(tiled: false, global: [(m + 3) / 4, (n + 15) / 16, batch], local: nil,
                          c: c, cOffset: offset, cBatchStride: batchStride, a: a, aLayout, b: b, bLayout,
                          m: m, n: n, k: k, accumulate: accumulate, profileLabel: label())
            return
        }
        let panels = (n + panelWidth - 1) / panelWidth
        let packedBatches = bLayout.batchStride == 0 ? 1 : batch
        let packed = try allocate(count: max(1, packedBatches * panels * panelWidth * k), dtype: .float32)
        let packedMem = storage(packed).mem
        try packPanelsF32(global: [k, panels, packedBatches], bp: packedMem, b: b, bLayout, n: n, k: k,
                          profileLabel: "\(packedBatches)x[\(k)x\(n)]")
        let layout = PanelLayout(offset: 0, batchStride: bLayout.batchStride == 0 ? 0 : panels * panelWidth * k,
                                 panelStride: k * panelWidth)
        try matmul(into: c, offset: offset, batchStride: batchStride, a, aLayout, panels: packedMem, layout,
                   batch: batch, m: m, n: n, k: k, accumulate: accumulate)
    }

    /// Where `matmul_panels_f32` finds B's panels: panel q of batch b starts at
    /// `offset + b·batchStride + q·panelStride` and holds k rows of `panelWidth` floats.
    struct PanelLayout {
        var offset: Int
        var batchStride: Int
        var panelStride: Int
    }

    /// `matmul_panels_f32`: C[b] (+)= A[b] · B[b] with B already in panels. With `segments`, A's
    /// columns come in runs of `length`, `stride` elements apart (column k at
    /// `(k / length)·stride + (k % length)·columnStride`).
    func matmul(into c: CLBuffer, offset: Int, batchStride: Int, _ a: CLBuffer, _ aLayout: MatrixLayout,
                panels: CLBuffer, _ layout: PanelLayout, batch: Int, m: Int, n: Int, k: Int,
                segments: (length: Int, stride: Int)? = nil, accumulate: Bool = false) throws {
        try matmulPanelsF32(global: [(m + 3) / 4, (n + panelWidth - 1) / panelWidth, batch], c: c, cOffset: offset,
                            cBatchStride: batchStride, a: a, aLayout, bp: panels, bpOffset: layout.offset,
                            bpBatchStride: layout.batchStride, bpPanelStride: layout.panelStride, m: m, n: n, k: k,
                            kSegment: segments?.length ?? max(k, 1), aSegmentStride: segments?.stride ?? 0, accumulate: accumulate,
                            profileLabel: "\(batch)x[\(m)x\(k)\(aLayout.columnStride == 1 ? "" : "ᵀ")]·[\(k)x\(n)]")
    }

    public func synchronize() throws { try runtime.finish() }

    /// The 3-D launch of the strided kernels (`binary_f32`, `copy_strided_f32`): the innermost
    /// axis, the next one, then the product of the rest.
    static func innermostFirst(_ shape: [Int]) -> [Int] {
        let r = shape.count
        return [shape[r - 1], r >= 2 ? shape[r - 2] : 1, r >= 3 ? Shape.count(Array(shape[..<(r - 2)])) : 1]
    }

    func checkRank(_ shape: [Int], _ op: String) throws {
        guard shape.count <= 8 else {
            throw TensorError.unsupported(op: op, reason: "kernels take at most 8 dimensions after merging, got shape \(shape)")
        }
    }
}
