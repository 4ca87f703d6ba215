import Foundation

/// The OpenCL C sources of `Kernels/`, one file per op family.
///
/// The files are embedded into the binary at build time by `EmbedKernelsPlugin`.
/// For kernel development, a folder (`SGAN_KERNEL_DIR`, read by the command-line tool) can
/// replace the embedded copies at run time.
public enum KernelSources {
    /// The names of all embedded kernel files, sorted (`"elementwise.cl"`, ...).
    public static var fileNames: [String] { embedded.keys.sorted() }

    /// The source text of a kernel file: from `directory` when it holds the file (kernel work,
    /// `SGAN_KERNEL_DIR`), else the embedded copy. A line `#include "common.cl"` is replaced by
    /// that file's text (what several kernel files share).
    public static func source(named name: String, directory: String? = nil) -> String? {
        func read(_ name: String) -> String? {
            if let directory, !directory.isEmpty,
               let text = try? String(contentsOfFile: URL(fileURLWithPath: directory).appendingPathComponent(name).path, encoding: .utf8) {
                return text
            }
            return embedded[name]
        }
        guard let text = read(name) else { return nil }
        let include = "#include \"common.cl\""
        guard text.contains(include), let common = read("common.cl") else { return text }
        return text.replacingOccurrences(of: include, with: common)
    }
}
