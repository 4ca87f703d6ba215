/// An n-dimensional array of numbers on a `Device`, stored contiguously in row-major order.
///
/// Tensors have reference semantics and are immutable: every op returns a new tensor.
/// (Optimizers update parameter storage in place; nothing else writes to a tensor.)
/// While gradients are recorded (`GradMode`), an op on a tensor that `requiresGrad` records
/// how to differentiate it; see `Autograd.swift`.
/// Ops throw `TensorError` (naming the op and the shapes) for bad arguments and the
/// backend's error (an OpenCL call and status) when a device fails.
public final class Tensor: CustomStringConvertible {
    /// The size of each dimension; `[]` is a scalar.
    public let shape: [Int]
    public let dtype: DType
    public let device: Device
    /// The elements, owned by `device`'s backend.
    public let storage: Storage
    /// Whether gradients flow to this tensor: leaves made with `requiringGrad()`, and results
    /// of ops recorded from them.
    public internal(set) var requiresGrad = false
    /// How this tensor was computed, when the op was recorded.
    var gradNode: GradNode?

    /// Wraps a backend's storage; its count must match `shape`.
    public init(storage: Storage, shape: [Int], device: Device) {
        precondition(storage.count == Shape.count(shape), "storage of \(storage.count) elements for shape \(shape)")
        self.storage = storage
        self.shape = shape
        self.dtype = storage.dtype
        self.device = device
    }

    /// A tensor of `shape` holding `values` (row-major).
    public convenience init(_ values: [Float], shape: [Int], dtype: DType = .float32, on device: Device = .cpu) throws {
        try Tensor.checkShape(shape, count: values.count, op: "Tensor(values:shape:)")
        self.init(storage: try device.backend.upload(values, dtype: dtype), shape: shape, device: device)
    }

    /// A tensor of `shape` holding `values` (row-major), rounded to `dtype`.
    public convenience init(_ values: [Double], shape: [Int], dtype: DType = .float32, on device: Device = .cpu) throws {
        try Tensor.checkShape(shape, count: values.count, op: "Tensor(values:shape:)")
        self.init(storage: try device.backend.upload(values, dtype: dtype), shape: shape, device: device)
    }

    /// A tensor of `shape` with every element `value`.
    public static func full(_ value: Double, shape: [Int], dtype: DType = .float32, on device: Device = .cpu) throws -> Tensor {
        try checkShape(shape, count: nil, op: "full")
        return Tensor(storage: try device.backend.fill(value, count: Shape.count(shape), dtype: dtype), shape: shape, device: device)
    }

    public static func zeros(_ shape: [Int], dtype: DType = .float32, on device: Device = .cpu) throws -> Tensor {
        try full(0, shape: shape, dtype: dtype, on: device)
    }

    public static func ones(_ shape: [Int], dtype: DType = .float32, on device: Device = .cpu) throws -> Tensor {
        try full(1, shape: shape, dtype: dtype, on: device)
    }

    /// Number of elements.
    public var count: Int { storage.count }
    public var rank: Int { shape.count }

    /// The elements as Float, waiting for the device where needed.
    public func toArray() throws -> [Float] { try device.backend.download(storage) }

    /// The elements as Double.
    public func toDoubles() throws -> [Double] { try device.backend.downloadDoubles(storage) }

    /// The single element of a one-element tensor.
    public func item() throws -> Float {
        guard count == 1 else {
            throw TensorError.invalidArgument(op: "item", reason: "tensor of shape \(shape) has \(count) elements, not 1")
        }
        return try toArray()[0]
    }

    /// This tensor on `device` (itself when it is there already), optionally as another dtype.
    public func to(_ device: Device, dtype: DType? = nil) throws -> Tensor {
        let dtype = dtype ?? self.dtype
        if device === self.device && dtype == self.dtype { return self }
        return try Tensor(toDoubles(), shape: shape, dtype: dtype, on: device)
    }

    public var description: String { "Tensor(\(shape), \(dtype.rawValue), \(device.spec))" }

    static func checkShape(_ shape: [Int], count: Int?, op: String) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidArgument(op: op, reason: "negative dimension in shape \(shape)")
        }
        if let count, count != Shape.count(shape) {
            throw TensorError.shapeMismatch(op: op, shapes: [shape], reason: "need \(Shape.count(shape)) values, got \(count)")
        }
    }

    /// Throws unless every tensor lives on this tensor's device.
    func checkDevice(_ others: Tensor..., op: String) throws {
        for other in others where other.device !== device {
            throw TensorError.deviceMismatch(op: op, devices: [device.spec, other.device.spec])
        }
        for other in others where other.dtype != dtype {
            throw TensorError.unsupported(op: op, reason: "operands of \(dtype.rawValue) and \(other.dtype.rawValue); convert with to(_:dtype:)")
        }
    }
}
