import ArgumentParser
import Foundation
import Training

/// `sgan-gpu dataset`: prepares a folder or zip of images for training.
struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Prepare training data: square, R×R PNG images in a folder or zip.",
        discussion: "Reads every PNG of --source (a folder, searched recursively, or a .zip), makes it square with --transform, resizes it to --resolution with --filter, and writes 00000000.png, ... to --dest (a new folder, or a .zip). Files it cannot use are listed with the reason.")

    @Option(help: "A folder or .zip of images.")
    var source: String

    @Option(help: "A new folder or .zip to write.")
    var dest: String

    @Option(help: "Output width and height, a power of two.")
    var resolution: Int

    @Option(help: "How to make non-square images square: none (skip them), center-crop or pad.")
    var transform = DatasetTool.Transform.none

    @Option(help: "Resize filter: box or lanczos (default lanczos, as the official dataset_tool.py).")
    var filter = DatasetTool.Filter.lanczos

    func validate() throws {
        try requirePowerOfTwo("--resolution", resolution, in: 4...8192)
    }

    func run() throws {
        var tool = DatasetTool(source: source, destination: dest, resolution: resolution)
        tool.transform = transform
        tool.filter = filter
        let report = try tool.run()
        for (file, reason) in report.skipped { print("skipped \(file): \(reason)") }
        for note in report.notes { print(note) }
        print("wrote \(report.written) images of \(resolution)x\(resolution) (\(report.channels == 1 ? "gray" : "RGB")) to \(dest); skipped \(report.skipped.count)")
    }
}
