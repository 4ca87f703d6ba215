import ArgumentParser
import Foundation
import Metrics
import Networks
import Tensors
import Training

/// `sgan-gpu metrics`: FID, KID (official definitions, pytorch-fid's Inception-v3) and the sliced
/// Wasserstein distance of a network's images, or of a folder of fakes, against a dataset.
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Measure a network (or a folder of fake images) against a dataset: FID, KID, SWD.",
        discussion: """
            Metrics (as the official metric_main.py): fid50k_full (50,000 generated images against all reals), \
            kid50k_full (50,000 against up to 1,000,000 reals, 100 subsets of 1,000), fid10k and fid2k (that many \
            images from each side, the dataset's first reals), swd (sliced Wasserstein distance, x1e3, --num images). \
            FID and KID use pytorch-fid's Inception-v3: convert pt_inception-2015-12-05-6726825d.pth with \
            tools/convert_official.py and pass --inception (or set SGAN_INCEPTION). The reals' features are cached \
            (keyed by the SHA-256 of the dataset's files and of the weights) in $XDG_CACHE_HOME/sgan-gpu or \
            ~/.cache/sgan-gpu. Lower is better for all.
            """)

    @Option(help: "Comma-separated metrics: fid50k_full, kid50k_full, fid10k, fid2k, fid<N>, swd.")
    var metrics = "fid50k_full"

    @Option(help: "The network file (its G_ema renders the fakes, psi 1, random noise).")
    var network: String?

    @Option(help: "Instead of a network: a folder (PNG images of any size) or .zip of fake images.")
    var fakes: String?

    @Option(help: "The real images: a folder or .zip of PNG images.")
    var data: String

    @Option(help: "Inception-v3 weights converted from pytorch-fid's file (default: $SGAN_INCEPTION).")
    var inception: String?

    @Option(help: "Images from each side for swd.")
    var num = 2048

    @Option(help: "Random seed: latents (seed + i for image i), KID's subsets, SWD's draws.")
    var seed: UInt32 = 0

    @Option(help: "Images per Inception batch.")
    var batch = 16

    @Flag(help: "Neither read nor write the feature cache.")
    var noCache = false

    @Flag(help: "Print one JSON line per metric (the official metric-*.jsonl fields).")
    var json = false

    @OptionGroup var options: DeviceOptions

    func validate() throws {
        try require("--num", num, in: 2...200_000)
        try require("--batch", batch, in: 1...1024)
        guard (network == nil) != (fakes == nil) else {
            throw ValidationError("give either --network (a network file) or --fakes (a folder or .zip of images), not both and not neither")
        }
        let names = parsedMetrics
        let known = InceptionMetric.knownNames + ", swd"
        if let unknown = names.first(where: { $0 != "swd" && InceptionMetric.named($0) == nil }) {
            throw ValidationError("unknown metric '\(unknown)' in --metrics; known: \(known)")
        }
        if names.isEmpty { throw ValidationError("--metrics names no metric; known: \(known)") }
        if fakes != nil && names.contains("swd") {
            throw ValidationError("swd measures a network (--network); with --fakes use fid50k_full, kid50k_full, fid10k or fid2k")
        }
    }

    var parsedMetrics: [String] {
        metrics.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let names = parsedMetrics
        let inceptionMetrics = names.compactMap(InceptionMetric.named)
        let weights = inception ?? environment["SGAN_INCEPTION"].flatMap { $0.isEmpty ? nil : $0 }
        if let first = inceptionMetrics.first, weights == nil {
            throw MetricsError.inceptionWeightsNeeded(metric: first.name)
        }
        let device = try options.selected()
        // With --fakes, two image sets are compared as pytorch-fid compares two folders: a folder is
        // read image by image, of any sizes; with --network, the reals are the dataset as training reads it.
        let reals: MetricImages = fakes != nil && !data.lowercased().hasSuffix(".zip")
            ? try ImageFolder(path: data) : DatasetImages(try openDataset(data))
        let generator = try network.map { path -> ImageGenerator in
            guard let g = try NetworkFile.read(path: path, device: device).generatorForRendering else {
                throw TrainingError.noGenerator(path: path)
            }
            return g
        }
        var results: [(name: String, value: Double, seconds: Double)] = []
        if let weights, !inceptionMetrics.isEmpty {
            let start = Date()
            let engine = try InceptionMetrics(
                weights: weights, device: device,
                cache: noCache ? nil : FeatureCache(directory: FeatureCache.defaultDirectory(environment: environment)))
            engine.batchSize = batch
            engine.progress = ProgressLine().report
            let fakeImages: MetricImages
            if let fakes {
                fakeImages = fakes.lowercased().hasSuffix(".zip") ? DatasetImages(try openDataset(fakes)) : try ImageFolder(path: fakes)
            } else {
                fakeImages = GeneratedImages(generator: generator!, count: inceptionMetrics.map(\.generated).max()!, seed: seed, batchSize: batch)
            }
            for (metric, value) in try engine.compute(inceptionMetrics, reals: reals, fakes: fakeImages, kidSeed: seed) {
                results.append((metric.name, value, Date().timeIntervalSince(start)))
            }
        }
        if names.contains("swd"), let generator, let dataset = (reals as? DatasetImages)?.dataset {
            let start = Date()
            let swd = try SlicedWasserstein.distance(generator: generator, dataset: dataset, count: num, seed: UInt64(seed))
            if !json {
                var resolution = dataset.resolution
                for value in swd.perLevel {
                    print("swd \(resolution)x\(resolution)  \(String(format: "%.3f", value * 1000))")
                    resolution /= 2
                }
            }
            results.append(("swd", swd.average * 1000, Date().timeIntervalSince(start)))
        }
        let order = names
        for (name, value, seconds) in results.sorted(by: { order.firstIndex(of: $0.name)! < order.firstIndex(of: $1.name)! }) {
            if json {
                let line: [String: Any] = [
                    "results": [name: value], "metric": name, "total_time": seconds,
                    "total_time_str": formatTime(seconds), "num_gpus": 1,
                    "snapshot_pkl": network ?? fakes ?? "", "timestamp": Date().timeIntervalSince1970,
                ]
                let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("\(name)  \(String(format: name.hasPrefix("kid") ? "%.6f" : "%.4f", value))" + (name == "swd" ? "  (x1e3, \(num) images each)" : ""))
            }
        }
    }
}

/// A progress line on standard error: rewritten in place on a terminal, one line per 10% otherwise.
final class ProgressLine {
    var lastTenth = -1

    func report(_ what: String, _ done: Int, _ total: Int, _ seconds: Double) {
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let text = "\(what): \(done)/\(total) images" + (seconds > 0 ? String(format: ", %.1f img/s", rate) : "")
        if isatty(STDERR_FILENO) != 0 {
            FileHandle.standardError.write(Data(("\r\(text)\u{1B}[K" + (done == total ? "\n" : "")).utf8))
        } else {
            let tenth = done * 10 / Swift.max(total, 1)
            if tenth != lastTenth || done == total {
                lastTenth = done == total ? -1 : tenth
                FileHandle.standardError.write(Data((text + "\n").utf8))
            }
        }
    }
}
