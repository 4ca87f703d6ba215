import Foundation
import OpenCLRuntime
import Testing

/// The first OpenCL device, or nil (with the reason printed) when this machine has no platform.
let openCLDevice: OpenCLDevice? = {
    do {
        return try OpenCLDevice.openDefault()
    } catch {
        print("OpenCL tests skipped: \(error)")
        return nil
    }
}()

@Suite struct CLErrorTests {
    @Test func statusNamesAreSpelledOut() {
        let error = CLError(call: "clEnqueueNDRangeKernel(matmul_f32)", status: -5)
        #expect(error.statusName == "CL_OUT_OF_RESOURCES")
        #expect(error.description.hasPrefix("clEnqueueNDRangeKernel(matmul_f32) failed with CL_OUT_OF_RESOURCES (-5)"))
        #expect(error.description.contains("lower --batch"))
        #expect(CLError(call: "clFinish", status: -36).description == "clFinish failed with CL_INVALID_COMMAND_QUEUE (-36)")
        #expect(CLError.name(of: -1001) == "CL_PLATFORM_NOT_FOUND_KHR")
        #expect(CLError.name(of: -9999) == "unknown OpenCL status")
    }

    @Test func checkThrowsOnlyOnFailure() throws {
        try clCheck(0, "clFinish")
        #expect(throws: CLError(call: "clFinish", status: -36)) { try clCheck(-36, "clFinish") }
    }
}

@Suite(.enabled(if: openCLDevice != nil, "no OpenCL platform on this machine"))
struct OpenCLDeviceTests {
    let runtime = openCLDevice!

    @Test func syntaxErrorReportsFileAndBuildLog() {
        let source = "__kernel void broken(__global float* x) { x[0] = undefined_name + ; }"
        do {
            _ = try runtime.program(source: source, file: "broken.cl")
            Issue.record("a kernel with a syntax error built")
        } catch let error as CLBuildError {
            #expect(error.file == "broken.cl")
            #expect(error.log.contains("undefined_name") || error.log.contains("error"))
            #expect(error.description.contains("clBuildProgram(broken.cl) failed with CL_BUILD_PROGRAM_FAILURE"))
            #expect(error.description.contains(error.log))
        } catch {
            Issue.record("expected CLBuildError, got \(error)")
        }
    }

    @Test func missingKernelFileIsNamed() {
        #expect {
            _ = try runtime.kernel("nothing_f32", file: "nothing.cl")
        } throws: { error in
            guard case OpenCLRuntimeError.missingKernelFile(let name, let available) = error else { return false }
            return name == "nothing.cl" && available.contains("elementwise.cl")
        }
    }

    @Test func missingKernelNameIsNamed() {
        #expect {
            _ = try runtime.kernel("no_such_kernel", file: "copy.cl")
        } throws: { error in
            (error as? CLError)?.description == "clCreateKernel(no_such_kernel in copy.cl) failed with CL_INVALID_KERNEL_NAME (-46)"
        }
    }

    @Test func programsAreCachedPerOptions() throws {
        let a = try runtime.kernel("fill_f32", file: "copy.cl")
        let count = runtime.programCount
        let b = try runtime.kernel("fill_f32", file: "copy.cl")
        #expect(a === b)
        #expect(runtime.programCount == count)
        _ = try runtime.kernel("fill_f32", file: "copy.cl", options: "-DUNUSED=1")
        #expect(runtime.programCount == count + 1)
    }

    @Test func launchWriteAndRead() throws {
        let buffer = try runtime.pool.buffer(byteCount: 37 * 4)
        let values = (0..<37).map { Float($0) }
        try values.withUnsafeBytes { try runtime.write(buffer.buffer, bytes: $0) }
        var back = [Float](repeating: 0, count: 37)
        try back.withUnsafeMutableBytes { try runtime.read(buffer.buffer, into: $0) }
        #expect(back == values)

        let fill = try runtime.kernel("fill_f32", file: "copy.cl")
        try runtime.launch(fill, global: [33], [("out", .buffer(buffer.buffer)), ("n", .i(33)), ("value", .float(2.5))])
        try back.withUnsafeMutableBytes { try runtime.read(buffer.buffer, into: $0) }
        #expect(back == [Float](repeating: 2.5, count: 33) + values[33...])
    }

    @Test func poolReusesReleasedBuffers() throws {
        // A device of its own, so that tests running beside this one do not touch its pool.
        let pool = try OpenCLDevice(device: runtime.device).pool
        do { _ = try pool.buffer(byteCount: 12_345) }
        let afterFirst = pool.statistics
        do { _ = try pool.buffer(byteCount: 12_345) }
        let afterSecond = pool.statistics
        #expect(afterFirst.allocations == 1)
        #expect(afterFirst.bytesAllocated >= 12_345)
        #expect(afterSecond.allocations == 1)
        #expect(afterSecond.reuses == afterFirst.reuses + 1)
    }

    @Test func badLaunchNamesKernelAndStatus() throws {
        let fill = try runtime.kernel("fill_f32", file: "copy.cl")
        let buffer = try runtime.pool.buffer(byteCount: 64)
        // A work-group larger than any device allows: the error names the kernel and the sizes.
        #expect {
            try runtime.launch(fill, global: [1 << 21], local: [1 << 21], [("out", .buffer(buffer.buffer)), ("n", .i(7)), ("value", .float(0))])
        } throws: { error in
            guard let error = error as? CLError else { return false }
            return error.call.hasPrefix("clEnqueueNDRangeKernel(fill_f32") && error.call.contains("local [2097152]") && error.status != 0
        }
    }

    /// With signature checks on, a launch whose arguments are misnamed, of the wrong type or too few
    /// is refused before it runs, naming the kernel's signature and the argument.
    @Test func signatureChecksCatchWrongArguments() throws {
        let checked = try OpenCLDevice(device: runtime.device, options: OpenCLOptions(checkSignatures: true))
        let fill = try checked.kernel("fill_f32", file: "copy.cl")
        let buffer = try checked.pool.buffer(byteCount: 64)
        let wrong: [[(String, KernelArg)]] = [
            [("out", .buffer(buffer.buffer)), ("value", .float(1)), ("n", .i(4))],  // swapped
            [("out", .buffer(buffer.buffer)), ("n", .float(4)), ("value", .float(1))],  // float for int
            [("out", .buffer(buffer.buffer)), ("n", .i(4))],  // too few
        ]
        for args in wrong {
            do {
                try checked.launch(fill, global: [4], args)
                Issue.record("launch with \(args.map(\.0)) was not refused")
            } catch OpenCLRuntimeError.signatureMismatch(let kernel, _) {
                #expect(kernel == "fill_f32(float* out, int n, float value)")
            }
        }
        try checked.launch(fill, global: [4], [("out", .buffer(buffer.buffer)), ("n", .i(4)), ("value", .float(1))])
        #expect(checked.checkedKernels == ["fill_f32"])
    }
}

@Suite struct PlatformTests {
    @Test(.enabled(if: openCLDevice != nil, "no OpenCL platform on this machine"))
    func devicesHaveNamesAndSpecs() throws {
        let devices = try CLPlatform.all().flatMap { try $0.devices() }
        #expect(!devices.isEmpty)
        for device in devices {
            #expect(!device.name.isEmpty)
            #expect(device.spec.hasPrefix("opencl:"))
            #expect(device.computeUnits >= 1)
        }
    }

    @Test(.enabled(if: openCLDevice != nil, "no OpenCL platform on this machine"))
    func outOfRangeDeviceListsValidOnes() {
        #expect {
            _ = try OpenCLDevice.open(platform: 0, device: 99)
        } throws: { error in
            guard case OpenCLRuntimeError.deviceIndexOutOfRange(let requested, let available) = error else { return false }
            return requested == "opencl:0:99" && available.contains("opencl:0:0")
        }
    }
}
