/// A backend's handle on a tensor's elements: contiguous, row-major, `count` elements of `dtype`.
public protocol Storage: AnyObject {
    var count: Int { get }
    var dtype: DType { get }
}

/// The one op interface that both backends implement: the OpenCL backend with kernels,
/// the reference backend in plain Swift.
///
/// Every op reads contiguous storages (through strides where stated) and returns a new
/// contiguous storage; shapes are checked by `Tensor` before an op reaches a backend.
public protocol Backend: AnyObject, Sendable {
    /// A human-readable name (`cpu (reference)`, `opencl:0:0 NVIDIA H200`).
    var name: String { get }

    /// Storage holding `values`, rounded to `dtype`.
    func upload(_ values: [Float], dtype: DType) throws -> Storage
    /// Storage holding `values`, rounded to `dtype`.
    func upload(_ values: [Double], dtype: DType) throws -> Storage
    /// The elements of `storage`, waiting for pending work that writes them.
    func download(_ storage: Storage) throws -> [Float]
    /// The elements of `storage` as Double.
    func downloadDoubles(_ storage: Storage) throws -> [Double]

    /// Storage of `count` elements, every one `value`.
    func fill(_ value: Double, count: Int, dtype: DType) throws -> Storage

    /// `op(x, p0, p1)` elementwise.
    func unary(_ op: UnaryOp, _ x: Storage, p0: Double, p1: Double) throws -> Storage

    /// `op(a, b)` over the contiguous result of `shape`, reading `a` and `b` through their
    /// strides (0 on broadcast dimensions).
    func binary(_ op: BinaryOp, _ a: Storage, strides aStrides: [Int], _ b: Storage, strides bStrides: [Int],
                shape: [Int]) throws -> Storage

    /// Reduces `x` (of `shape`) over `axes`, times `scale`; the result has `shape` without those axes.
    func reduce(_ op: ReduceOp, _ x: Storage, shape: [Int], axes: [Int], scale: Double) throws -> Storage

    /// Storage of `count` uninitialised elements, to be written by `copy`.
    func allocate(count: Int, dtype: DType) throws -> Storage

    /// For every index k of `shape`: `out[outOffset + k·outStrides] = x[offset + k·strides]`.
    func copy(_ x: Storage, offset: Int, strides: [Int], shape: [Int],
              into out: Storage, outOffset: Int, outStrides: [Int]) throws

    /// `C[b] = A[b] · B[b]` for b < batch, with A m×k and B k×n read through their layouts;
    /// the result is contiguous `[batch, m, n]`.
    func matmul(_ a: Storage, _ aLayout: MatrixLayout, _ b: Storage, _ bLayout: MatrixLayout,
                batch: Int, m: Int, n: Int, k: Int) throws -> Storage

    /// Cross-correlation of `x` `[N, C, H, W]` with `w` `[O, C/groups, KH, KW]`; the result is
    /// `[N, O, OH, OW]`.
    func conv2d(_ x: Storage, shape xShape: [Int], _ w: Storage, shape wShape: [Int],
                _ parameters: Conv2dParameters) throws -> Storage

    /// The gradient of `conv2d` with respect to its input (a transposed convolution): `g` is
    /// `[N, O, OH, OW]`, the result has `inputShape`.
    func conv2dBackwardInput(_ g: Storage, shape gShape: [Int], _ w: Storage, shape wShape: [Int],
                             _ parameters: Conv2dParameters, inputShape: [Int]) throws -> Storage

    /// The gradient of `conv2d` with respect to its weight: the result has `weightShape`.
    func conv2dBackwardWeight(_ x: Storage, shape xShape: [Int], _ g: Storage, shape gShape: [Int],
                              _ parameters: Conv2dParameters, weightShape: [Int]) throws -> Storage

    /// The fused `bias_act` over `x` of `shape` (rank ≥ 2), with the bias (one per element of
    /// dimension 1) when given.
    func biasAct(_ x: Storage, shape: [Int], bias: Storage?, _ parameters: BiasActParameters) throws -> Storage

    /// `dx = dy · act'` of `biasAct`, computed from its output `y`.
    func biasActGrad(_ dy: Storage, output y: Storage, _ parameters: BiasActParameters) throws -> Storage

    /// `upfirdn2d` of `x` `[N, C, H, W]` with a `[fh, fw]` filter; the result is `[N, C, OH, OW]`.
    func upfirdn2d(_ x: Storage, shape: [Int], filter: Storage, filterShape: [Int],
                   _ parameters: UpFirDn2dParameters) throws -> Storage

    /// The adjoint of `upfirdn2d` for the same parameters: from `dy` `[N, C, OH, OW]` to `inputShape`.
    func upfirdn2dAdjoint(_ dy: Storage, shape: [Int], filter: Storage, filterShape: [Int],
                          _ parameters: UpFirDn2dParameters, inputShape: [Int]) throws -> Storage

    /// `x` `[N, C, H, W]` padded by reflection (torch's `'reflect'`: the edge is not repeated); each
    /// pad is smaller than its dimension.
    func padReflect(_ x: Storage, shape: [Int], padding: Padding2d) throws -> Storage

    /// The adjoint of `padReflect`: from `dy` of the padded `shape` to `inputShape`.
    func padReflectAdjoint(_ dy: Storage, shape: [Int], padding: Padding2d, inputShape: [Int]) throws -> Storage

    /// `F.grid_sample(x, F.affine_grid(theta, [N, C, OH, OW]))`, bilinear, zeros outside,
    /// `align_corners=False`, with `theta` `[N, 2, 3]`; the result is `[N, C, OH, OW]`.
    func affineGridSample(_ x: Storage, shape: [Int], theta: Storage, outputSize: (height: Int, width: Int)) throws -> Storage

    /// The adjoint of `affineGridSample` (with respect to the image): from `dy` `[N, C, OH, OW]` to `inputShape`.
    func affineGridSampleAdjoint(_ dy: Storage, shape: [Int], theta: Storage, inputShape: [Int]) throws -> Storage

    /// The per-sample affine colour transform `M[:, :C] · x + M[:, C]` of `x` `[N, C, H, W]`, with
    /// `matrix` `[N, C, C + 1]`.
    func colorMatrix(_ x: Storage, shape: [Int], matrix: Storage) throws -> Storage

    /// A valid correlation of `x` `[N, C, H, W]` along `axis` (3: x, 2: y) with sample n's filter
    /// `taps[n]` (`taps` `[N, T]`).
    func sampleFIR(_ x: Storage, shape: [Int], taps: Storage, tapCount: Int, axis: Int) throws -> Storage

    /// The adjoint of `sampleFIR`: from `dy` (the forward's output, `shape`) to `inputShape`.
    func sampleFIRAdjoint(_ dy: Storage, shape: [Int], taps: Storage, tapCount: Int, axis: Int, inputShape: [Int]) throws -> Storage

    /// Max or average pooling of `x` `[N, C, H, W]`; the result is `[N, C, OH, OW]`.
    func pool2d(_ x: Storage, shape: [Int], _ parameters: Pool2dParameters) throws -> Storage

    /// `count` standard normal numbers of the Philox stream (`seed`, `offset`); element i depends
    /// only on the seed and `offset·4 + i`.
    func randomNormal(count: Int, seed: UInt64, offset: UInt64, dtype: DType) throws -> Storage

    /// One Adam step, in place on `parameter`, `m` and `v`.
    func adamStep(parameter: Storage, gradient: Storage, m: Storage, v: Storage, _ step: AdamStep) throws

    /// Waits until all pending work has finished (for timing).
    func synchronize() throws

    /// A point in the queue after everything enqueued so far, nil where work runs at once.
    func marker() throws -> (any QueueMarker)?
    /// The device's counters (what a backend does not count stays 0).
    var statistics: BackendStatistics { get }
    /// The device's memory in bytes; nil: the host's memory.
    var memoryBytes: Int? { get }
}

/// A point in a device's queue (`Backend.marker()`).
public protocol QueueMarker {
    /// Returns once everything enqueued before the marker has run.
    func wait() throws
}

/// What the host can ask a device about its work: memory, launches and compiles.
public struct BackendStatistics: Equatable, Sendable {
    /// The most device memory held at once, in bytes, and the buffers allocated so far.
    public var peakBytes = 0
    public var allocations = 0
    /// Kernel launches so far.
    public var launches = 0
    /// Kernel programs compiled so far and the seconds that took.
    public var compiledPrograms = 0
    public var compileSeconds = 0.0

    public init() {}
}

extension Backend {
    public func marker() throws -> (any QueueMarker)? { nil }
    public var statistics: BackendStatistics { BackendStatistics() }
    public var memoryBytes: Int? { nil }

    public func upload(_ values: [Double], dtype: DType) throws -> Storage {
        try upload(values.map { Float($0) }, dtype: dtype)
    }

    public func downloadDoubles(_ storage: Storage) throws -> [Double] {
        try download(storage).map { Double($0) }
    }
}
