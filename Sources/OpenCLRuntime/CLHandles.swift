import COpenCL
import Foundation

/// Owns a `cl_context` for one device.
public final class CLContext {
    public let handle: cl_context

    public init(device: CLDevice) throws {
        var status: cl_int = 0
        var deviceID: cl_device_id? = device.id
        guard let context = clCreateContext(nil, 1, &deviceID, nil, nil, &status), status == CL_SUCCESS else {
            throw CLError(call: "clCreateContext(\(device.name))", status: status)
        }
        handle = context
    }

    deinit { clReleaseContext(handle) }
}

/// Owns an in-order `cl_command_queue`.
public final class CLCommandQueue {
    public let handle: cl_command_queue

    public init(context: CLContext, device: CLDevice, profiling: Bool = false) throws {
        var status: cl_int = 0
        let properties = cl_command_queue_properties(profiling ? CL_QUEUE_PROFILING_ENABLE : 0)
        guard let queue = clCreateCommandQueue(context.handle, device.id, properties, &status), status == CL_SUCCESS else {
            throw CLError(call: "clCreateCommandQueue(\(device.name))", status: status)
        }
        handle = queue
    }

    /// Blocks until every enqueued command has finished.
    public func finish() throws { try clCheck(clFinish(handle), "clFinish") }

    deinit {
        clFinish(handle)
        clReleaseCommandQueue(handle)
    }
}

/// Owns a built `cl_program`.
public final class CLProgram {
    public let handle: cl_program
    /// The kernel file it was built from, for error messages.
    public let file: String
    /// The build options (`-D` definitions).
    public let options: String

    /// Compiles `source` for `device`; a compile error throws `CLBuildError` with the whole build log.
    /// `quiet` keeps what the compiler itself prints (PoCL's "N warnings generated.") off the
    /// terminal: standard error is pointed at /dev/null during the build (the log is still read).
    public init(source: String, file: String, options: String, context: CLContext, device: CLDevice, quiet: Bool = true) throws {
        self.file = file
        self.options = options
        var status: cl_int = 0
        let program: cl_program? = source.withCString { text in
            var pointer: UnsafePointer<CChar>? = text
            var length = strlen(text)
            return clCreateProgramWithSource(context.handle, 1, &pointer, &length, &status)
        }
        guard let program, status == CL_SUCCESS else {
            throw CLError(call: "clCreateProgramWithSource(\(file))", status: status)
        }
        handle = program
        var deviceID: cl_device_id? = device.id
        let built = quiet ? StandardError.silenced { clBuildProgram(program, 1, &deviceID, options, nil, nil) }
                          : clBuildProgram(program, 1, &deviceID, options, nil, nil)
        if built != CL_SUCCESS {
            throw CLBuildError(
                file: file, options: options, device: device.name, status: built,
                log: CLProgram.buildLog(program, device: device))
        }
    }

    static func buildLog(_ program: cl_program, device: CLDevice) -> String {
        var size = 0
        guard clGetProgramBuildInfo(program, device.id, cl_program_build_info(CL_PROGRAM_BUILD_LOG), 0, nil, &size)
            == CL_SUCCESS, size > 0
        else { return "(no build log)" }
        var bytes = [CChar](repeating: 0, count: size + 1)
        clGetProgramBuildInfo(program, device.id, cl_program_build_info(CL_PROGRAM_BUILD_LOG), size, &bytes, nil)
        return String(nulTerminated: bytes)
    }

    deinit { clReleaseProgram(handle) }
}

/// Owns a `cl_kernel`. Setting arguments and enqueueing go through `OpenCLDevice.launch`.
public final class CLKernel {
    public let handle: cl_kernel
    /// The kernel's function name (`matmul_f32`).
    public let name: String
    /// Keeps the program alive as long as the kernel.
    public let program: CLProgram

    public init(program: CLProgram, name: String) throws {
        var status: cl_int = 0
        guard let kernel = clCreateKernel(program.handle, name, &status), status == CL_SUCCESS else {
            throw CLError(call: "clCreateKernel(\(name) in \(program.file))", status: status)
        }
        self.handle = kernel
        self.name = name
        self.program = program
    }

    deinit { clReleaseKernel(handle) }
}

/// Owns a `cl_mem` buffer of `byteCount` bytes.
public final class CLBuffer {
    public let handle: cl_mem
    public let byteCount: Int

    public init(context: CLContext, byteCount: Int) throws {
        var status: cl_int = 0
        guard let mem = clCreateBuffer(context.handle, cl_mem_flags(CL_MEM_READ_WRITE), max(byteCount, 4), nil, &status),
            status == CL_SUCCESS
        else {
            throw CLError(call: "clCreateBuffer(\(byteCount) bytes)", status: status)
        }
        handle = mem
        self.byteCount = byteCount
    }

    deinit { clReleaseMemObject(handle) }
}

/// Owns a `cl_event`.
public final class CLEvent {
    public let handle: cl_event

    init(_ handle: cl_event) { self.handle = handle }

    /// Nanoseconds between the command's start and end (the queue must profile).
    public func duration() throws -> UInt64 {
        var start: cl_ulong = 0, end: cl_ulong = 0
        try clCheck(clGetEventProfilingInfo(handle, cl_profiling_info(CL_PROFILING_COMMAND_START), 8, &start, nil), "clGetEventProfilingInfo")
        try clCheck(clGetEventProfilingInfo(handle, cl_profiling_info(CL_PROFILING_COMMAND_END), 8, &end, nil), "clGetEventProfilingInfo")
        return end >= start ? end - start : 0
    }

    /// Blocks until the event's command has completed.
    public func wait() throws {
        var event: cl_event? = handle
        try clCheck(clWaitForEvents(1, &event), "clWaitForEvents")
    }

    deinit { clReleaseEvent(handle) }
}

/// The process's standard error, and a way to keep what C libraries print there off the terminal.
public enum StandardError {
    /// A duplicate of the original standard error: lines written here reach the terminal even
    /// while `silenced` runs.
    public static let original: Int32 = dup(STDERR_FILENO)
    private static let lock = NSLock()

    /// Runs `body` with standard error pointed at /dev/null.
    public static func silenced<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        _ = original
        let null = open("/dev/null", O_WRONLY)
        guard null >= 0 else { return try body() }
        fflush(nil)
        let saved = dup(STDERR_FILENO)
        dup2(null, STDERR_FILENO)
        close(null)
        defer {
            fflush(nil)
            dup2(saved, STDERR_FILENO)
            close(saved)
        }
        return try body()
    }

    /// Writes `line` and a newline to the original standard error.
    public static func write(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { _ = Foundation.write(original, $0.baseAddress, $0.count) }
    }
}
