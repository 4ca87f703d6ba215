/// How the OpenCL runtime works, set by the program: the command-line tool reads the environment
/// once (`init(environment:)`) and passes the result down; libraries never read it themselves.
public struct OpenCLOptions: Sendable, Hashable {
    /// What the kernel compiler prints reaches the terminal (`SGAN_VERBOSE=1`).
    public var verbose = false
    /// Every launch is timed by the device (`SGAN_PROFILE=1`, see `OpenCLDevice.profile()`).
    public var profiling = false
    /// A folder whose `.cl` files replace the embedded ones (`SGAN_KERNEL_DIR`, for kernel work).
    public var kernelDirectory: String? = nil
    /// Programs are built with `-cl-kernel-arg-info`, and each kernel's first launch compares the
    /// host's named arguments with the kernel's parameters (`clGetKernelArgInfo`): names, order,
    /// types and address spaces. `check-kernels` and the tests turn it on.
    public var checkSignatures = false

    public init(verbose: Bool = false, profiling: Bool = false, kernelDirectory: String? = nil, checkSignatures: Bool = false) {
        self.verbose = verbose
        self.profiling = profiling
        self.kernelDirectory = kernelDirectory
        self.checkSignatures = checkSignatures
    }

    /// `SGAN_VERBOSE`, `SGAN_PROFILE` and `SGAN_KERNEL_DIR` from `environment`.
    public init(environment: [String: String]) {
        verbose = environment["SGAN_VERBOSE"] == "1"
        profiling = environment["SGAN_PROFILE"] == "1"
        kernelDirectory = environment["SGAN_KERNEL_DIR"].flatMap { $0.isEmpty ? nil : $0 }
    }
}
