import Augmentation
import Foundation
import Tensors

/// The augmentation pipeline (ADA's `bgc` at p = 1, every transform drawn for every sample): images
/// per second through the pipeline alone, and with the gradient back to the images (what each D
/// evaluation on fakes adds to an iteration).
enum AugmentBenchmark {
    struct Result {
        var resolution: Int
        var forward: Double
        var forwardBackward: Double
    }

    static func measure(device: Device, runs: Int, batch: Int = 16) throws -> [Result] {
        var pipe = AugmentPipe(named: "bgc")!
        pipe.p = 1
        return try [32, 256].map { resolution in
            let images = try Tensor.uniform([batch, 3, resolution, resolution], seed: 1, on: device)
            var call = 0
            func augment(_ x: Tensor) throws -> Tensor {
                call += 1
                var random = SampleRandomness(seed: 1, batch: call, call: 0, samples: 0..<batch)
                return try pipe(x, random: &random)
            }
            let forward = try medianSeconds(on: device, runs: runs) { _ = try GradMode.disabled { try augment(images) } }
            let backward = try medianSeconds(on: device, runs: runs) {
                let x = images.requiringGrad()
                _ = try gradients(of: augment(x).sum(), wrt: [x])
            }
            return Result(resolution: resolution, forward: Double(batch) / forward, forwardBackward: Double(batch) / backward)
        }
    }
}
