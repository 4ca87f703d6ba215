import Foundation
import ImageIO
import Metrics
import Tensors

/// Inception-v3 feature extraction (FID, KID): images per second for a batch of 8-bit images,
/// resize to 299×299 included, with the synthetic weights (speed does not depend on the values).
enum InceptionBenchmark {
    static func measure(device: Device, runs: Int, batch: Int = 16, resolution: Int = 64) throws -> Double {
        let network = try InceptionV3.synthetic(on: device)
        var generator = SeededGenerator(seed: 1)
        let images = try (0..<batch).map { _ in
            try PNGImage(width: resolution, height: resolution, channels: 3,
                         pixels: (0..<(resolution * resolution * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
        let seconds = try medianSeconds(on: device, runs: runs) { _ = try network.features(of: images, batchSize: batch) }
        return Double(batch) / seconds
    }
}
