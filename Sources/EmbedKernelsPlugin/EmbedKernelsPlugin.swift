import Foundation
import PackagePlugin

/// Turns every `.cl` file of the target's folder into one generated Swift file,
/// so that the binary carries its kernels and needs nothing beside it at run time.
///
/// The folder is listed on every build, so a kernel file that was added is picked up
/// without touching the manifest.
@main
struct EmbedKernelsPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let folder = target.directoryURL
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".cl") }
            .sorted()
        let inputs = names.map { folder.appendingPathComponent($0) }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedKernels.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(names.count) OpenCL kernel files",
                executable: try context.tool(named: "embed-kernels").url,
                arguments: [output.path] + inputs.map(\.path),
                inputFiles: inputs + [folder],
                outputFiles: [output])
        ]
    }
}
