import COpenCL

/// A failed OpenCL call: which call, and its status by name (`CL_OUT_OF_RESOURCES`, not -5).
public struct CLError: Error, CustomStringConvertible, Equatable {
    /// The OpenCL function that failed, with what it was working on (`clEnqueueNDRangeKernel(matmul_f32)`).
    public let call: String
    /// The raw status code.
    public let status: Int32

    public init(call: String, status: Int32) {
        self.call = call
        self.status = status
    }

    /// The status constant's name, such as `CL_INVALID_WORK_GROUP_SIZE`.
    public var statusName: String { CLError.name(of: status) }

    public var description: String {
        let advice = [-4, -5, -6, -61].contains(status)
            ? "; the device is out of memory or resources: lower --batch or the resolution" : ""
        return "\(call) failed with \(statusName) (\(status))\(advice)"
    }

    /// The name of an OpenCL status code.
    public static func name(of status: Int32) -> String {
        statusNames[status] ?? "unknown OpenCL status"
    }

    static let statusNames: [Int32: String] = [
        0: "CL_SUCCESS", -1: "CL_DEVICE_NOT_FOUND", -2: "CL_DEVICE_NOT_AVAILABLE",
        -3: "CL_COMPILER_NOT_AVAILABLE", -4: "CL_MEM_OBJECT_ALLOCATION_FAILURE",
        -5: "CL_OUT_OF_RESOURCES", -6: "CL_OUT_OF_HOST_MEMORY", -7: "CL_PROFILING_INFO_NOT_AVAILABLE",
        -8: "CL_MEM_COPY_OVERLAP", -9: "CL_IMAGE_FORMAT_MISMATCH", -10: "CL_IMAGE_FORMAT_NOT_SUPPORTED",
        -11: "CL_BUILD_PROGRAM_FAILURE", -12: "CL_MAP_FAILURE", -13: "CL_MISALIGNED_SUB_BUFFER_OFFSET",
        -14: "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST", -15: "CL_COMPILE_PROGRAM_FAILURE",
        -16: "CL_LINKER_NOT_AVAILABLE", -17: "CL_LINK_PROGRAM_FAILURE", -18: "CL_DEVICE_PARTITION_FAILED",
        -19: "CL_KERNEL_ARG_INFO_NOT_AVAILABLE",
        -30: "CL_INVALID_VALUE", -31: "CL_INVALID_DEVICE_TYPE", -32: "CL_INVALID_PLATFORM",
        -33: "CL_INVALID_DEVICE", -34: "CL_INVALID_CONTEXT", -35: "CL_INVALID_QUEUE_PROPERTIES",
        -36: "CL_INVALID_COMMAND_QUEUE", -37: "CL_INVALID_HOST_PTR", -38: "CL_INVALID_MEM_OBJECT",
        -39: "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR", -40: "CL_INVALID_IMAGE_SIZE", -41: "CL_INVALID_SAMPLER",
        -42: "CL_INVALID_BINARY", -43: "CL_INVALID_BUILD_OPTIONS", -44: "CL_INVALID_PROGRAM",
        -45: "CL_INVALID_PROGRAM_EXECUTABLE", -46: "CL_INVALID_KERNEL_NAME",
        -47: "CL_INVALID_KERNEL_DEFINITION", -48: "CL_INVALID_KERNEL", -49: "CL_INVALID_ARG_INDEX",
        -50: "CL_INVALID_ARG_VALUE", -51: "CL_INVALID_ARG_SIZE", -52: "CL_INVALID_KERNEL_ARGS",
        -53: "CL_INVALID_WORK_DIMENSION", -54: "CL_INVALID_WORK_GROUP_SIZE",
        -55: "CL_INVALID_WORK_ITEM_SIZE", -56: "CL_INVALID_GLOBAL_OFFSET", -57: "CL_INVALID_EVENT_WAIT_LIST",
        -58: "CL_INVALID_EVENT", -59: "CL_INVALID_OPERATION", -60: "CL_INVALID_GL_OBJECT",
        -61: "CL_INVALID_BUFFER_SIZE", -62: "CL_INVALID_MIP_LEVEL", -63: "CL_INVALID_GLOBAL_WORK_SIZE",
        -64: "CL_INVALID_PROPERTY", -65: "CL_INVALID_IMAGE_DESCRIPTOR", -66: "CL_INVALID_COMPILER_OPTIONS",
        -67: "CL_INVALID_LINKER_OPTIONS", -68: "CL_INVALID_DEVICE_PARTITION_COUNT",
        -69: "CL_INVALID_PIPE_SIZE", -70: "CL_INVALID_DEVICE_QUEUE", -71: "CL_INVALID_SPEC_ID",
        -72: "CL_MAX_SIZE_RESTRICTION_EXCEEDED",
        -1001: "CL_PLATFORM_NOT_FOUND_KHR",
    ]
}

/// A kernel file that did not compile: the file, the build options, the device and the whole build log.
public struct CLBuildError: Error, CustomStringConvertible {
    public let file: String
    public let options: String
    public let device: String
    public let status: Int32
    public let log: String

    public var description: String {
        "clBuildProgram(\(file)) failed with \(CLError.name(of: status)) on \(device)"
            + (options.isEmpty ? "" : " with options '\(options)'")
            + "; build log:\n\(log)"
    }
}

/// Problems that are not a failed OpenCL call: no platform, a bad device choice, a missing kernel file.
public enum OpenCLRuntimeError: Error, CustomStringConvertible {
    case noPlatform
    case noDevice(platform: String)
    case deviceIndexOutOfRange(requested: String, available: [String])
    case missingKernelFile(String, available: [String])
    /// A launch whose arguments do not match the kernel's parameters (`OpenCLOptions.checkSignatures`).
    case signatureMismatch(kernel: String, reason: String)

    public var description: String {
        switch self {
        case .noPlatform:
            return "no OpenCL platform found: install your GPU's driver with OpenCL support, "
                + "or run `apt-get install pocl-opencl-icd` to compute on the CPU (OCL_ICD_VENDORS tells the loader where to look)"
        case .noDevice(let platform):
            return "OpenCL platform '\(platform)' has no devices: check its driver installation"
        case .deviceIndexOutOfRange(let requested, let available):
            return "no OpenCL device '\(requested)'; valid choices: cpu, opencl, "
                + available.joined(separator: ", ")
        case .missingKernelFile(let name, let available):
            return "kernel file '\(name)' is neither embedded nor in SGAN_KERNEL_DIR; embedded: "
                + available.joined(separator: ", ")
        case .signatureMismatch(let kernel, let reason):
            return "kernel launch does not match \(kernel): \(reason)"
        }
    }
}

/// Throws a `CLError` naming `call` unless `status` is `CL_SUCCESS`.
@inlinable
public func clCheck(_ status: cl_int, _ call: @autoclosure () -> String) throws {
    if status != CL_SUCCESS { throw CLError(call: call(), status: status) }
}
