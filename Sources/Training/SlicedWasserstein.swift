import Foundation
import Networks
import Rendering
import Tensors

/// The sliced Wasserstein distance of Progressive GAN (Karras et al. 2018, `metrics/sliced_wasserstein.py`):
/// Laplacian pyramids of real and generated images down to 16×16, 128 random 7×7 neighbourhoods per
/// image and level, descriptors normalised per channel, and the Wasserstein distance of their 1-D
/// projections on 4 × 128 random directions. Reported ×1e3 per level by the original; here unscaled.
public enum SlicedWasserstein {
    public struct Result {
        /// One distance per pyramid level, full resolution first.
        public var perLevel: [Double]
        /// Their mean.
        public var average: Double
    }

    static let nhoodSize = 7, nhoodsPerImage = 128, dirRepeats = 4, dirsPerRepeat = 128

    /// SWD between `count` images of `dataset` and `count` images of `generator` (psi 1, noise const).
    public static func distance(generator: ImageGenerator, dataset: ImageDataset, count: Int, seed: UInt64 = 0) throws -> Result {
        let (r, c) = (dataset.resolution, dataset.channels)
        guard generator.imgResolution == r, generator.imgChannels == c else {
            throw TrainingError.imageFormatMismatch(network: [generator.imgChannels, generator.imgResolution, generator.imgResolution], data: [c, r, r])
        }
        guard r >= 16 else { throw TrainingError.resolutionTooSmallForSWD(r) }
        var random = SeededGenerator(seed: seed ^ 0x5D_57_D0)
        // Reals: the first `count` images of a seeded permutation.
        var order = Array(0..<dataset.count)
        order.shuffle(using: &random)
        let reals = try (0..<count).map { i in
            planarFloats(try dataset.pixels(at: order[i % order.count]), resolution: r, channels: c)
        }
        // Fakes, quantised to 8 bits as the original does.
        var renderer = Renderer(generator: generator)
        renderer.batchSize = 16
        var numpy = NumpyRandomState(seed: UInt32(truncatingIfNeeded: seed &+ 123_456))
        let latents = (0..<count).map { _ in numpy.randn(generator.zDim).map { Float($0) } }
        let pngs = try Renderer.quantize(renderer.render(latents: latents).images)
        let fakes = pngs.map { planarFloats($0.pixels, resolution: r, channels: c) }
        var levels = 0
        var res = r
        while res >= 16 { levels += 1; res /= 2 }
        let realDescriptors = descriptors(reals, channels: c, resolution: r, levels: levels, random: &random)
        let fakeDescriptors = descriptors(fakes, channels: c, resolution: r, levels: levels, random: &random)
        var perLevel: [Double] = []
        for level in 0..<levels {
            perLevel.append(try sliced(realDescriptors[level], fakeDescriptors[level], dimension: c * nhoodSize * nhoodSize,
                                       device: generator.device, random: &random))
        }
        return Result(perLevel: perLevel, average: perLevel.reduce(0, +) / Double(perLevel.count))
    }

    /// Normalised descriptors of every pyramid level: rows of `C·7·7` values.
    static func descriptors(_ images: [[Float]], channels c: Int, resolution r: Int, levels: Int,
                            random: inout SeededGenerator) -> [[Float]] {
        var out = [[Float]](repeating: [], count: levels)
        for image in images {
            let pyramid = laplacianPyramid(image, channels: c, resolution: r, levels: levels)
            for (level, plane) in pyramid.enumerated() {
                let size = r >> level, h = nhoodSize / 2
                for _ in 0..<nhoodsPerImage {
                    let x = h + Int(random.next() % UInt64(size - 2 * h)), y = h + Int(random.next() % UInt64(size - 2 * h))
                    for ch in 0..<c {
                        for dy in -h...h {
                            for dx in -h...h { out[level].append(plane[(ch * size + y + dy) * size + x + dx]) }
                        }
                    }
                }
            }
        }
        // Per channel: zero mean, unit standard deviation over all descriptors.
        let dimension = c * nhoodSize * nhoodSize, perChannel = nhoodSize * nhoodSize
        for level in 0..<levels {
            let rows = out[level].count / dimension
            for ch in 0..<c {
                var sum = 0.0, squares = 0.0
                for row in 0..<rows {
                    for k in 0..<perChannel {
                        let v = Double(out[level][row * dimension + ch * perChannel + k])
                        sum += v
                        squares += v * v
                    }
                }
                let n = Double(rows * perChannel)
                let mean = sum / n, std = Swift.max((squares / n - mean * mean).squareRoot(), 1e-8)
                for row in 0..<rows {
                    for k in 0..<perChannel {
                        let i = row * dimension + ch * perChannel + k
                        out[level][i] = Float((Double(out[level][i]) - mean) / std)
                    }
                }
            }
        }
        return out
    }

    /// The Laplacian pyramid of one `[C, R, R]` image with OpenCV's 5×5 Gaussian and mirrored borders.
    static func laplacianPyramid(_ image: [Float], channels c: Int, resolution r: Int, levels: Int) -> [[Float]] {
        let kernel: [Float] = [1, 4, 6, 4, 1]
        func mirror(_ i: Int, _ n: Int) -> Int { i < 0 ? -i : (i >= n ? 2 * n - 2 - i : i) }
        /// 5×5 Gaussian (outer product of `kernel`/16) times `gain`, on `[C, n, n]`.
        func blur(_ x: [Float], _ n: Int, gain: Float) -> [Float] {
            var tmp = [Float](repeating: 0, count: x.count), out = [Float](repeating: 0, count: x.count)
            for ch in 0..<c {
                for y in 0..<n {
                    for xx in 0..<n {
                        var s: Float = 0
                        for k in 0..<5 { s += kernel[k] * x[(ch * n + y) * n + mirror(xx + k - 2, n)] }
                        tmp[(ch * n + y) * n + xx] = s / 16
                    }
                }
                for y in 0..<n {
                    for xx in 0..<n {
                        var s: Float = 0
                        for k in 0..<5 { s += kernel[k] * tmp[(ch * n + mirror(y + k - 2, n)) * n + xx] }
                        out[(ch * n + y) * n + xx] = s / 16 * gain
                    }
                }
            }
            return out
        }
        var pyramid = [image]
        var size = r
        for _ in 1..<levels {
            let blurred = blur(pyramid[pyramid.count - 1], size, gain: 1)
            let half = size / 2
            var down = [Float](repeating: 0, count: c * half * half)
            for ch in 0..<c { for y in 0..<half { for x in 0..<half { down[(ch * half + y) * half + x] = blurred[(ch * size + 2 * y) * size + 2 * x] } } }
            var up = [Float](repeating: 0, count: c * size * size)
            for ch in 0..<c { for y in 0..<half { for x in 0..<half { up[(ch * size + 2 * y) * size + 2 * x] = down[(ch * half + y) * half + x] } } }
            up = blur(up, size, gain: 4)
            for i in pyramid[pyramid.count - 1].indices { pyramid[pyramid.count - 1][i] -= up[i] }
            pyramid.append(down)
            size = half
        }
        return pyramid
    }

    /// The mean over random unit directions of the 1-D Wasserstein distance of the projections.
    static func sliced(_ a: [Float], _ b: [Float], dimension: Int, device: Device, random: inout SeededGenerator) throws -> Double {
        let (rowsA, rowsB) = (a.count / dimension, b.count / dimension)
        let rows = Swift.min(rowsA, rowsB)
        let tensorA = try Tensor(Array(a.prefix(rows * dimension)), shape: [rows, dimension], on: device)
        let tensorB = try Tensor(Array(b.prefix(rows * dimension)), shape: [rows, dimension], on: device)
        var results: [Double] = []
        for _ in 0..<dirRepeats {
            var directions = [Float](repeating: 0, count: dimension * dirsPerRepeat)
            for j in 0..<dirsPerRepeat {
                var norm: Float = 0
                for i in 0..<dimension {
                    let u1 = random.uniform(1e-12...1), u2 = random.uniform(0...1)
                    let v = Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * .pi * u2))
                    directions[i * dirsPerRepeat + j] = v
                    norm += v * v
                }
                for i in 0..<dimension { directions[i * dirsPerRepeat + j] /= norm.squareRoot() }
            }
            let dirs = try Tensor(directions, shape: [dimension, dirsPerRepeat], on: device)
            let projA = try tensorA.matmul(dirs).transpose().toArray(), projB = try tensorB.matmul(dirs).transpose().toArray()
            var total = 0.0
            for j in 0..<dirsPerRepeat {
                let sortedA = projA[(j * rows)..<((j + 1) * rows)].sorted(), sortedB = projB[(j * rows)..<((j + 1) * rows)].sorted()
                for (x, y) in zip(sortedA, sortedB) { total += Double(Swift.abs(x - y)) }
            }
            results.append(total / Double(rows * dirsPerRepeat))
        }
        return results.reduce(0, +) / Double(results.count)
    }
}
