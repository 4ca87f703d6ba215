import Foundation

/// The OpenCL C sources of `Kernels/`, one file per op family.
///
/// The files are embedded into the binary at build time by `EmbedKernelsPlugin`.
/// For kernel development, set `SGAN_KERNEL_DIR` to a folder: files found there
/// are read at run time instead of the embedded copies.
public enum KernelSources {
    /// The names of all embedded kernel files, sorted (`"elementwise.cl"`, ...).
    public static var fileNames: [String] { embedded.keys.sorted() }

    /// The source text of a kernel file, from `SGAN_KERNEL_DIR` when set, else the embedded copy.
    public static func source(named name: String) -> String? {
        if let folder = ProcessInfo.processInfo.environment["SGAN_KERNEL_DIR"], !folder.isEmpty {
            let path = URL(fileURLWithPath: folder).appendingPathComponent(name).path
            if let text = try? String(contentsOfFile: path, encoding: .utf8) { return text }
        }
        return embedded[name]
    }
}
