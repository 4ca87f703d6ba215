import ArgumentParser
import Foundation
import Networks
import Tensors
import Training

/// `sgan-gpu metrics`: the sliced Wasserstein distance between a network's images and a dataset.
struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a network against a dataset: sliced Wasserstein distance (Progressive GAN).",
        discussion: "Prints the SWD of each Laplacian-pyramid level (x1e3, as the original reports it) and their mean. Lower is better.")

    @Option(help: "The network file.")
    var network: String

    @Option(help: "The dataset: a folder or .zip of PNG images.")
    var data: String

    @Option(help: "Images from each side.")
    var num = 2048

    @Option(help: "Random seed for image order, latents, neighbourhoods and directions.")
    var seed: UInt64 = 0

    @Flag(help: "Print one JSON line.")
    var json = false

    @OptionGroup var options: DeviceOptions

    func validate() throws {
        try require("--num", num, in: 2...200_000)
    }

    func run() throws {
        let device = try options.selected()
        guard let generator = try NetworkFile.read(path: network, device: device).generatorForRendering else {
            throw TrainingError("\(network) holds no generator to measure")
        }
        let dataset = try openDataset(data)
        let result = try SlicedWasserstein.distance(generator: generator, dataset: dataset, count: num, seed: seed)
        if json {
            print(#"{"swd":\#(result.average),"swd_per_level":[\#(result.perLevel.map { "\($0)" }.joined(separator: ","))],"num":\#(num)}"#)
        } else {
            var resolution = dataset.resolution
            for value in result.perLevel {
                print("swd \(resolution)x\(resolution)  \(String(format: "%.3f", value * 1000))")
                resolution /= 2
            }
            print("swd average  \(String(format: "%.3f", result.average * 1000))  (x1e3, \(num) images each)")
        }
    }
}
