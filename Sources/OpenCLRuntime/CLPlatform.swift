import COpenCL
import Foundation

/// One OpenCL platform (a driver: PoCL, NVIDIA, ROCm, ...).
public struct CLPlatform {
    public let id: cl_platform_id
    public let index: Int

    /// All platforms the ICD loader finds; throws `OpenCLRuntimeError.noPlatform` when there is none.
    public static func all() throws -> [CLPlatform] {
        var count: cl_uint = 0
        let status = clGetPlatformIDs(0, nil, &count)
        if status == CL_PLATFORM_NOT_FOUND_KHR || (status == CL_SUCCESS && count == 0) {
            throw OpenCLRuntimeError.noPlatform
        }
        try clCheck(status, "clGetPlatformIDs")
        var ids = [cl_platform_id?](repeating: nil, count: Int(count))
        try clCheck(clGetPlatformIDs(count, &ids, nil), "clGetPlatformIDs")
        return ids.enumerated().compactMap { i, id in id.map { CLPlatform(id: $0, index: i) } }
    }

    public var name: String { (try? infoString(CL_PLATFORM_NAME)) ?? "?" }
    public var vendor: String { (try? infoString(CL_PLATFORM_VENDOR)) ?? "?" }
    public var version: String { (try? infoString(CL_PLATFORM_VERSION)) ?? "?" }

    /// The platform's devices of every type, in the driver's order.
    public func devices() throws -> [CLDevice] {
        var count: cl_uint = 0
        let status = clGetDeviceIDs(id, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &count)
        if status == CL_DEVICE_NOT_FOUND { return [] }
        try clCheck(status, "clGetDeviceIDs(\(name))")
        var ids = [cl_device_id?](repeating: nil, count: Int(count))
        try clCheck(clGetDeviceIDs(id, cl_device_type(CL_DEVICE_TYPE_ALL), count, &ids, nil), "clGetDeviceIDs(\(name))")
        return ids.enumerated().compactMap { i, d in d.map { CLDevice(id: $0, platform: self, index: i) } }
    }

    func infoString(_ param: Int32) throws -> String {
        var size = 0
        try clCheck(clGetPlatformInfo(id, cl_platform_info(param), 0, nil, &size), "clGetPlatformInfo")
        var bytes = [CChar](repeating: 0, count: size + 1)
        try clCheck(clGetPlatformInfo(id, cl_platform_info(param), size, &bytes, nil), "clGetPlatformInfo")
        return String(nulTerminated: bytes).trimmingCharacters(in: .whitespaces)
    }
}

/// One OpenCL device and what the `devices` command shows of it.
public struct CLDevice {
    public let id: cl_device_id
    public let platform: CLPlatform
    /// The device's index within its platform.
    public let index: Int

    public var name: String { (try? infoString(CL_DEVICE_NAME)) ?? "?" }
    public var version: String { (try? infoString(CL_DEVICE_VERSION)) ?? "?" }
    public var extensions: String { (try? infoString(CL_DEVICE_EXTENSIONS)) ?? "" }

    /// `gpu`, `cpu`, `accelerator` or `other`.
    public var typeName: String {
        let type = (try? info(CL_DEVICE_TYPE, as: cl_device_type.self)) ?? 0
        if type & cl_device_type(CL_DEVICE_TYPE_GPU) != 0 { return "gpu" }
        if type & cl_device_type(CL_DEVICE_TYPE_CPU) != 0 { return "cpu" }
        if type & cl_device_type(CL_DEVICE_TYPE_ACCELERATOR) != 0 { return "accelerator" }
        return "other"
    }
    public var isGPU: Bool { typeName == "gpu" }
    public var globalMemoryBytes: UInt64 { (try? info(CL_DEVICE_GLOBAL_MEM_SIZE, as: cl_ulong.self)) ?? 0 }
    public var maxAllocationBytes: UInt64 { (try? info(CL_DEVICE_MAX_MEM_ALLOC_SIZE, as: cl_ulong.self)) ?? 0 }
    public var computeUnits: Int { Int((try? info(CL_DEVICE_MAX_COMPUTE_UNITS, as: cl_uint.self)) ?? 0) }
    public var maxWorkGroupSize: Int { (try? info(CL_DEVICE_MAX_WORK_GROUP_SIZE, as: Int.self)) ?? 1 }
    /// Floats in the device's native vector (16 with AVX-512 on PoCL, 8 with AVX2).
    public var nativeFloatVectorWidth: Int { Int((try? info(CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT, as: cl_uint.self)) ?? 1) }
    public var supportsFP64: Bool { extensions.contains("cl_khr_fp64") }

    /// The spelling `--device` accepts for this device: `opencl:P:D`.
    public var spec: String { "opencl:\(platform.index):\(index)" }

    func info<T>(_ param: Int32, as: T.Type) throws -> T {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<T>.size, alignment: 16)
        defer { raw.deallocate() }
        try clCheck(clGetDeviceInfo(id, cl_device_info(param), MemoryLayout<T>.size, raw, nil), "clGetDeviceInfo")
        return raw.load(as: T.self)
    }

    func infoString(_ param: Int32) throws -> String {
        var size = 0
        try clCheck(clGetDeviceInfo(id, cl_device_info(param), 0, nil, &size), "clGetDeviceInfo")
        var bytes = [CChar](repeating: 0, count: size + 1)
        try clCheck(clGetDeviceInfo(id, cl_device_info(param), size, &bytes, nil), "clGetDeviceInfo")
        return String(nulTerminated: bytes).trimmingCharacters(in: .whitespaces)
    }
}

extension String {
    /// The text of a NUL-terminated C string an OpenCL query filled in.
    init(nulTerminated bytes: [CChar]) {
        self.init(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
