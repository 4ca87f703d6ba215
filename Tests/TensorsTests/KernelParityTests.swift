import KernelChecks
import KernelSources
import OpenCLRuntime
import Tensors
import TensorsOpenCL
import Testing

/// The OpenCL device under test, or nil (with the reason printed) when no platform exists. Its
/// runtime checks every launch against the kernel's signature (`clGetKernelArgInfo`).
let openCL: Device? = {
    do {
        return try Device.select("opencl", options: OpenCLBackendOptions(runtime: OpenCLOptions(checkSignatures: true)))
    } catch {
        print("OpenCL parity tests skipped: \(error)")
        return nil
    }
}()

/// Every registered kernel check, on OpenCL against the CPU reference, through the parity helper.
@Suite(.enabled(if: openCL != nil, "no OpenCL platform on this machine"))
struct KernelParityTests {
    @Test(arguments: KernelChecks.names)
    func parity(_ name: String) throws {
        let check = try #require(KernelChecks.named(name))
        let result = Parity.run(check, on: openCL!)
        print(Parity.row(result))
        #expect(result.passed, "\(result.failure ?? "")")
    }

    /// The same checks with the GPU profile forced on this device (tiled products, work-group
    /// reductions, no panels), so the GPU path is proven here without a GPU.
    @Test(arguments: KernelChecks.names)
    func parityOnTheGPUProfile(_ name: String) throws {
        let check = try #require(KernelChecks.named(name))
        let device = Device.opencl(try #require(openCL?.openCL), profile: .gpu)
        let result = Parity.run(check, on: device)
        #expect(result.passed, "GPU profile: \(result.failure ?? "")")
    }

    /// Every kernel's wrapper matches the kernel's parameters (names, order, types, address
    /// spaces): the parity tests launch them all on a runtime that checks each first launch;
    /// kernels not launched yet here are launched by their checks on both profiles.
    @Test func everyKernelWrapperMatchesItsSignature() throws {
        let runtime = try #require(openCL?.openCL)
        let kernels = try Self.kernelNames()
        for kernel in kernels where !runtime.checkedKernels.contains(kernel) {
            for check in KernelChecks.all where check.name.split(separator: " ").first.map(String.init) == kernel {
                for profile in [OpenCLBackend.Profile.cpu, .gpu] {
                    _ = Parity.run(check, on: Device.opencl(runtime, profile: profile))
                }
            }
        }
        let missing = Set(kernels).subtracting(runtime.checkedKernels)
        #expect(missing.isEmpty, "kernels whose launches were never checked against their signature: \(missing.sorted())")
    }

    /// The `__kernel` functions of every kernel file.
    static func kernelNames() throws -> [String] {
        var kernels: [String] = []
        for file in KernelSources.fileNames {
            let source = try #require(KernelSources.source(named: file))
            for line in source.split(separator: "\n") where line.hasPrefix("__kernel void ") {
                kernels.append(String(line.dropFirst("__kernel void ".count).prefix { $0 != "(" }))
            }
        }
        return kernels
    }

    @Test func everyKernelIsChecked() throws {
        #expect(Set(KernelChecks.names).count == KernelChecks.names.count, "check names repeat")
        let kernels = try Self.kernelNames()
        #expect(kernels.count >= 24)
        for kernel in kernels {
            #expect(KernelChecks.names.contains { $0.split(separator: " ").first.map(String.init) == kernel },
                    "kernel \(kernel) has no check")
        }
    }

    /// The helper must fail a wrong kernel: compare an op against a different one.
    @Test func parityCatchesAWrongResult() {
        let wrong = KernelCheck("binary_f32 add (deliberately wrong)", family: "elementwise", tolerance: .exact,
                                shapes: [[[7], [7]]]) { inputs in
            inputs[0].device.isReference ? try inputs[0] + inputs[1] : try inputs[0] - inputs[1]
        }
        let result = Parity.run(wrong, on: openCL!)
        #expect(!result.passed)
        #expect(result.maxAbsoluteError > 0.01)
    }

    /// Asking for more than the device can hold names the size and says what to lower.
    @Test func outOfDeviceMemorySaysWhatToDo() throws {
        let device = try #require(openCL)
        // More elements than kernels index.
        #expect { _ = try Tensor.zeros([1 << 31], on: device) } throws: { error in
            guard case TensorError.unsupported(let op, let reason) = error else { return false }
            return op == "allocate" && reason.contains("2147483648 elements") && reason.contains("lower --batch")
        }
        // One buffer larger than the device allows.
        let maxBytes = try #require(device.openCL).device.maxAllocationBytes
        let elements = Int(maxBytes / 4) + 1024
        if elements < Int(Int32.max) {
            #expect { _ = try Tensor.zeros([elements], on: device) } throws: { error in
                guard let error = error as? CLError else { return false }
                return error.call.contains("\(elements * 4)") && [-4, -5, -6, -61].contains(error.status)
                    && error.description.contains("lower --batch")
            }
        }
    }

    @Test func steadyStateAllocatesNothing() throws {
        // A device of its own, so that tests running beside this one do not touch its pool.
        let runtime = try OpenCLDevice(device: try #require(openCL?.openCL).device)
        let device = Device.opencl(runtime)
        let x = try Tensor.uniform([2, 3, 9, 9], seed: 1, on: device)
        let w = try Tensor.uniform([5, 3, 3, 3], seed: 2, on: device)
        let ones = try Tensor.ones([1, 1], on: device)
        func step() throws -> [Float] {
            let y = try x.conv2d(w, padding: (1, 1)).leakyRelu()
            let z = try (y * y).sum(axes: [1, 2, 3]).reshape([2, 1]).matmul(ones)
            return try z.toArray()
        }
        let first = try step()
        let allocations = runtime.pool.statistics.allocations
        #expect(allocations > 0)
        let second = try step()
        #expect(runtime.pool.statistics.allocations == allocations, "a repeated step allocated new buffers")
        #expect(runtime.pool.statistics.reuses > 0)
        #expect(first == second)
    }
}

@Suite struct DeviceSelectionTests {
    @Test func deviceSelection() throws {
        #expect(try Device.select("cpu") === Device.cpu)
        #expect(try Device.select("CPU") === Device.cpu)
        #expect { try Device.select("gpu") } throws: { error in
            guard case TensorError.unknownDevice(let spec, let valid) = error else { return false }
            return spec == "gpu" && valid.starts(with: ["cpu", "opencl"])
        }
        #expect { try Device.select("opencl:x:1") } throws: { error in
            guard case TensorError.unknownDevice(let spec, _) = error else { return false }
            return spec == "opencl:x:1"
        }
    }
}
