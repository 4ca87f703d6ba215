import Tensors

/// Every registered kernel check, by family. `check-kernels` and the tests run exactly these.
public enum KernelChecks {
    public static var all: [KernelCheck] {
        elementwise + reduce + copy + matmul + conv + pool + augment + stylegan + composite
    }

    /// The names of all checks; each is unique.
    public static var names: [String] { all.map(\.name) }

    /// The check named `name`.
    public static func named(_ name: String) -> KernelCheck? { all.first { $0.name == name } }
}
