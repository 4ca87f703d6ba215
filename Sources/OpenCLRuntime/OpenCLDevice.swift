import COpenCL
import Foundation
import KernelSources

/// One argument of a kernel launch.
public enum KernelArg {
    /// A device buffer (`__global T*`).
    case buffer(CLBuffer)
    /// An `int`.
    case int(Int32)
    /// A `uint`.
    case uint(UInt32)
    /// A `float`.
    case float(Float)
    /// An `int8` vector: up to 8 values, the rest zero. Shapes and strides travel this way.
    case int8([Int32])
    /// `__local` memory of this many bytes.
    case local(bytes: Int)

    /// An `int` from a Swift `Int`.
    public static func i(_ value: Int) -> KernelArg { .int(Int32(truncatingIfNeeded: value)) }
    /// An `int8` from Swift `Int`s.
    public static func ints(_ values: [Int]) -> KernelArg { .int8(values.map { Int32(truncatingIfNeeded: $0) }) }

    /// Whether a kernel parameter of OpenCL C type `type` in `addressSpace` takes this argument.
    func fits(type: String, addressSpace: cl_kernel_arg_address_qualifier) -> Bool {
        switch self {
        case .buffer: return type.hasSuffix("*") && addressSpace == cl_kernel_arg_address_qualifier(CL_KERNEL_ARG_ADDRESS_GLOBAL)
        case .local: return type.hasSuffix("*") && addressSpace == cl_kernel_arg_address_qualifier(CL_KERNEL_ARG_ADDRESS_LOCAL)
        case .int: return type == "int"
        case .uint: return type == "uint"
        case .float: return type == "float"
        case .int8: return type == "int8"
        }
    }

    /// The OpenCL C type this argument passes, for messages.
    var typeDescription: String {
        switch self {
        case .buffer: return "__global pointer"
        case .local: return "__local pointer"
        case .int: return "int"
        case .uint: return "uint"
        case .float: return "float"
        case .int8: return "int8"
        }
    }
}

/// The OpenCL runtime for one device: context, in-order queue, program and kernel caches, buffer pool.
///
/// Launches are asynchronous; the host waits only in `read` (it needs the data) and `finish`.
/// Use one `OpenCLDevice` from one thread at a time.
public final class OpenCLDevice: @unchecked Sendable {  // mutable state behind `lock`
    public let device: CLDevice
    public let context: CLContext
    public let queue: CLCommandQueue
    public let pool: BufferPool

    /// Kernel launches so far (for profiling).
    public var launchCount: Int { locked { launches } }
    private var launches = 0
    private var programs: [ProgramKey: CLProgram] = [:]
    private var kernels: [KernelKey: CLKernel] = [:]
    /// Guards the caches, counters and the queue's argument setting (recursive: a kernel lookup
    /// holds it while its program is built).
    private let lock = NSRecursiveLock()

    private struct ProgramKey: Hashable { let source: String; let options: String }
    private struct KernelKey: Hashable { let file: String; let options: String; let name: String }

    /// How this runtime works (compiler output, profiling, kernel folder, signature checks).
    public let options: OpenCLOptions
    /// Whether what the kernel compiler prints reaches the terminal.
    public var verbose: Bool { options.verbose }
    /// Programs compiled and the seconds spent compiling them.
    public var compileStatistics: (programs: Int, seconds: Double) { locked { compiled } }
    private var compiled = (programs: 0, seconds: 0.0)
    /// Whether the first-compile notice has been printed.
    private var noticed = false

    /// Whether every launch is timed by the device (see `profile()`).
    public var profiling: Bool { options.profiling }
    private var profiled: [(String, CLEvent)] = []
    /// Kernels (name and build options) whose signature has been checked.
    private var checkedSignatures: Set<String> = []

    /// The names of the kernels whose arguments have been checked against their signatures so far.
    public var checkedKernels: Set<String> { locked { Set(checkedSignatures.map { String($0.prefix { $0 != " " }) }) } }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// Opens `device`: creates its context, queue and buffer pool.
    public init(device: CLDevice, options: OpenCLOptions = OpenCLOptions()) throws {
        self.device = device
        self.options = options
        context = try CLContext(device: device)
        queue = try CLCommandQueue(context: context, device: device, profiling: options.profiling)
        pool = BufferPool(context: context)
    }

    /// Device time per kernel name since the last call (profiling only), largest first:
    /// (name, launches, seconds).
    public func profile() throws -> [(String, Int, Double)] {
        try finish()
        lock.lock()
        let events = profiled
        profiled.removeAll()
        lock.unlock()
        var totals: [String: (Int, UInt64)] = [:]
        for (name, event) in events {
            let (count, nanoseconds) = totals[name] ?? (0, 0)
            totals[name] = (count + 1, nanoseconds + (try event.duration()))
        }
        return totals.map { ($0.key, $0.value.0, Double($0.value.1) / 1e9) }.sorted { $0.2 > $1.2 }
    }

    /// Opens the device that `opencl` names: the first GPU of any platform, else the first device.
    public static func openDefault(options: OpenCLOptions = OpenCLOptions()) throws -> OpenCLDevice {
        let devices = try CLPlatform.all().flatMap { try $0.devices() }
        guard let chosen = devices.first(where: \.isGPU) ?? devices.first else {
            throw OpenCLRuntimeError.noDevice(platform: (try? CLPlatform.all().first?.name) ?? "?")
        }
        return try OpenCLDevice(device: chosen, options: options)
    }

    /// Opens device `deviceIndex` of platform `platformIndex` (`opencl:P:D`).
    public static func open(platform platformIndex: Int, device deviceIndex: Int,
                            options: OpenCLOptions = OpenCLOptions()) throws -> OpenCLDevice {
        let platforms = try CLPlatform.all()
        let all = try platforms.flatMap { try $0.devices() }
        guard platforms.indices.contains(platformIndex) else {
            throw OpenCLRuntimeError.deviceIndexOutOfRange(
                requested: "opencl:\(platformIndex):\(deviceIndex)", available: all.map(\.spec))
        }
        let devices = try platforms[platformIndex].devices()
        guard devices.indices.contains(deviceIndex) else {
            throw OpenCLRuntimeError.deviceIndexOutOfRange(
                requested: "opencl:\(platformIndex):\(deviceIndex)", available: all.map(\.spec))
        }
        return try OpenCLDevice(device: devices[deviceIndex], options: options)
    }

    // MARK: Programs and kernels

    /// Builds (or finds in the cache) the program of `source` with `options`.
    public func program(source: String, file: String, options: String = "") throws -> CLProgram {
        let key = ProgramKey(source: source, options: options)
        lock.lock()
        defer { lock.unlock() }
        if let program = programs[key] { return program }
        // Builds that take seconds are first compiles (drivers cache what they compiled): once they
        // add up to two seconds, say so, so that a first run does not look stuck.
        let start = Date()
        defer {
            compiled.programs += 1
            compiled.seconds += Date().timeIntervalSince(start)
            if !noticed && compiled.seconds > 2 {
                noticed = true
                StandardError.write("Compiling OpenCL kernels for \(device.name) (first use only: the driver caches them for later runs) ...")
            }
        }
        let buildOptions = self.options.checkSignatures ? (options.isEmpty ? "" : options + " ") + "-cl-kernel-arg-info" : options
        let program = try CLProgram(source: source, file: file, options: buildOptions, context: context, device: device, quiet: !verbose)
        programs[key] = program
        return program
    }

    /// The kernel `name` of the kernel file `file` built with `options`, cached.
    public func kernel(_ name: String, file: String, options: String = "") throws -> CLKernel {
        let key = KernelKey(file: file, options: options, name: name)
        lock.lock()
        defer { lock.unlock() }
        if let kernel = kernels[key] { return kernel }
        guard let source = KernelSources.source(named: file, directory: self.options.kernelDirectory) else {
            throw OpenCLRuntimeError.missingKernelFile(file, available: KernelSources.fileNames)
        }
        let kernel = try CLKernel(program: program(source: source, file: file, options: options), name: name)
        kernels[key] = kernel
        return kernel
    }

    /// Number of programs built so far (each is one compile).
    public var programCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return programs.count
    }

    // MARK: Launches and copies

    /// Enqueues `kernel` over `global` work-items (1 to 3 dimensions), in groups of `local`
    /// (nil lets the driver choose). A launch with zero work-items does nothing.
    /// `args` name each argument as the kernel's parameter is named; with
    /// `OpenCLOptions.checkSignatures`, a kernel's first launch checks them against it.
    public func launch(_ kernel: CLKernel, global: [Int], local: [Int]? = nil, _ args: [(String, KernelArg)],
                       profileLabel: @autoclosure () -> String = "") throws {
        precondition((1...3).contains(global.count) && (local == nil || local!.count == global.count))
        if global.contains(0) { return }
        lock.lock()
        defer { lock.unlock() }
        launches += 1
        if options.checkSignatures {
            let key = kernel.name + " " + kernel.program.options
            if !checkedSignatures.contains(key) {
                try checkSignature(kernel, args)
                checkedSignatures.insert(key)
            }
        }
        for (index, (_, arg)) in args.enumerated() {
            let status: cl_int
            switch arg {
            case .buffer(let buffer):
                var mem: cl_mem? = buffer.handle
                status = clSetKernelArg(kernel.handle, cl_uint(index), MemoryLayout<cl_mem>.size, &mem)
            case .int(var value):
                status = clSetKernelArg(kernel.handle, cl_uint(index), 4, &value)
            case .uint(var value):
                status = clSetKernelArg(kernel.handle, cl_uint(index), 4, &value)
            case .float(var value):
                status = clSetKernelArg(kernel.handle, cl_uint(index), 4, &value)
            case .int8(let values):
                precondition(values.count <= 8, "an int8 argument holds at most 8 values")
                var padded = values + [Int32](repeating: 0, count: 8 - values.count)
                status = clSetKernelArg(kernel.handle, cl_uint(index), 32, &padded)
            case .local(let bytes):
                status = clSetKernelArg(kernel.handle, cl_uint(index), max(bytes, 4), nil)
            }
            try clCheck(status, "clSetKernelArg(\(kernel.name), argument \(index))")
        }
        var event: cl_event? = nil
        let status: cl_int = withUnsafeMutablePointer(to: &event) { eventPointer in
            let out = profiling ? eventPointer : nil
            if let local {
                return clEnqueueNDRangeKernel(queue.handle, kernel.handle, cl_uint(global.count), nil, global, local, 0, nil, out)
            }
            return clEnqueueNDRangeKernel(queue.handle, kernel.handle, cl_uint(global.count), nil, global, nil, 0, nil, out)
        }
        if let event {
            let label = profileLabel()
            profiled.append((kernel.name + (kernel.program.options.isEmpty ? "" : " " + kernel.program.options) + (label.isEmpty ? "" : " " + label), CLEvent(event)))
        }
        try clCheck(
            status,
            "clEnqueueNDRangeKernel(\(kernel.name), global \(global), local \(local.map { "\($0)" } ?? "auto"))")
    }

    /// Compares the named arguments with the kernel's parameters as the compiler reports them.
    func checkSignature(_ kernel: CLKernel, _ args: [(String, KernelArg)]) throws {
        var count: cl_uint = 0
        try clCheck(clGetKernelInfo(kernel.handle, cl_kernel_info(CL_KERNEL_NUM_ARGS), MemoryLayout<cl_uint>.size, &count, nil),
                    "clGetKernelInfo(\(kernel.name), CL_KERNEL_NUM_ARGS)")
        var parameters: [(name: String, type: String, addressSpace: cl_kernel_arg_address_qualifier)] = []
        for index in 0..<cl_uint(count) {
            func text(_ info: Int32) throws -> String {
                var size = 0
                try clCheck(clGetKernelArgInfo(kernel.handle, index, cl_kernel_arg_info(info), 0, nil, &size),
                            "clGetKernelArgInfo(\(kernel.name), argument \(index))")
                var bytes = [CChar](repeating: 0, count: max(size, 1))
                try clCheck(clGetKernelArgInfo(kernel.handle, index, cl_kernel_arg_info(info), size, &bytes, nil),
                            "clGetKernelArgInfo(\(kernel.name), argument \(index))")
                return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            var addressSpace = cl_kernel_arg_address_qualifier(0)
            try clCheck(clGetKernelArgInfo(kernel.handle, index, cl_kernel_arg_info(CL_KERNEL_ARG_ADDRESS_QUALIFIER),
                                           MemoryLayout<cl_kernel_arg_address_qualifier>.size, &addressSpace, nil),
                        "clGetKernelArgInfo(\(kernel.name), argument \(index), CL_KERNEL_ARG_ADDRESS_QUALIFIER)")
            parameters.append((try text(CL_KERNEL_ARG_NAME), try text(CL_KERNEL_ARG_TYPE_NAME).replacingOccurrences(of: " ", with: ""), addressSpace))
        }
        let signature = "\(kernel.name)(" + parameters.map { "\($0.type) \($0.name)" }.joined(separator: ", ") + ")"
        guard parameters.count == args.count else {
            throw OpenCLRuntimeError.signatureMismatch(
                kernel: signature, reason: "the host passes \(args.count) arguments (\(args.map(\.0).joined(separator: ", "))), the kernel takes \(parameters.count)")
        }
        for (index, (parameter, (name, arg))) in zip(parameters, args).enumerated() {
            guard parameter.name == name else {
                throw OpenCLRuntimeError.signatureMismatch(
                    kernel: signature, reason: "argument \(index) is '\(parameter.name)' in the kernel and '\(name)' on the host")
            }
            guard arg.fits(type: parameter.type, addressSpace: parameter.addressSpace) else {
                throw OpenCLRuntimeError.signatureMismatch(
                    kernel: signature, reason: "argument \(index) '\(name)' is \(parameter.type) in the kernel and \(arg.typeDescription) on the host")
            }
        }
    }

    /// Copies `bytes` to the start of `buffer` without waiting; the bytes are staged, so the
    /// caller's memory may change at once.
    public func write(_ buffer: CLBuffer, bytes: UnsafeRawBufferPointer) throws {
        precondition(bytes.count <= buffer.byteCount)
        if bytes.isEmpty { return }
        let staging = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 64)
        staging.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        var event: cl_event?
        let status = clEnqueueWriteBuffer(queue.handle, buffer.handle, cl_bool(CL_FALSE), 0, bytes.count, staging, 0, nil, &event)
        guard status == CL_SUCCESS, let event else {
            staging.deallocate()
            throw CLError(call: "clEnqueueWriteBuffer(\(bytes.count) bytes)", status: status)
        }
        // Free the staging copy once the transfer is complete.
        let callbackStatus = clSetEventCallback(event, CL_COMPLETE, { _, _, userData in
            userData?.deallocate()
        }, staging)
        if callbackStatus != CL_SUCCESS {
            clWaitForEvents(1, [event])
            staging.deallocate()
        }
        clReleaseEvent(event)
    }

    /// Copies the first `into.count` bytes of `buffer` to the host; waits for the queue to reach it.
    public func read(_ buffer: CLBuffer, into: UnsafeMutableRawBufferPointer) throws {
        precondition(into.count <= buffer.byteCount)
        if into.isEmpty { return }
        try clCheck(
            clEnqueueReadBuffer(queue.handle, buffer.handle, cl_bool(CL_TRUE), 0, into.count, into.baseAddress, 0, nil, nil),
            "clEnqueueReadBuffer(\(into.count) bytes)")
    }

    /// Copies `byteCount` bytes between device buffers without waiting.
    public func copy(from source: CLBuffer, sourceOffset: Int = 0, to destination: CLBuffer, destinationOffset: Int = 0,
                     byteCount: Int) throws {
        if byteCount == 0 { return }
        try clCheck(
            clEnqueueCopyBuffer(queue.handle, source.handle, destination.handle, sourceOffset, destinationOffset, byteCount, 0, nil, nil),
            "clEnqueueCopyBuffer(\(byteCount) bytes)")
    }

    /// Waits until every enqueued command has finished.
    public func finish() throws { try queue.finish() }

    /// An event that completes when everything enqueued so far has completed.
    public func marker() throws -> CLEvent {
        var event: cl_event?
        try clCheck(clEnqueueMarkerWithWaitList(queue.handle, 0, nil, &event), "clEnqueueMarkerWithWaitList")
        guard let event else { throw CLError(call: "clEnqueueMarkerWithWaitList (no event)", status: -58) }
        try clCheck(clFlush(queue.handle), "clFlush")
        return CLEvent(event)
    }
}
