import Foundation
import Tensors

/// A built-in dataset drawn from each image's index: a soft two-colour background with one to three
/// coloured discs, squares and rings. Deterministic, endless in variety, and easy enough that a
/// small network learns it visibly within minutes on a CPU.
public final class ProceduralDataset: ImageDataset {
    public let name = "procedural"
    public let count: Int
    public let resolution: Int
    public let channels = 3

    public init(resolution: Int = 32, count: Int = 10_000) {
        self.resolution = resolution
        self.count = count
    }

    public func pixels(at index: Int) throws -> [UInt8] {
        var random = SeededGenerator(seed: 0x5CA1_AB1E &+ UInt64(index) &* 0x9E37_79B9)
        func u() -> Double { random.uniform(0...1) }
        func colour() -> [Double] { [u(), u(), u()] }
        let r = Double(resolution)
        let (top, bottom) = (colour().map { 0.2 + 0.6 * $0 }, colour().map { 0.1 + 0.5 * $0 })
        var image = [Double](repeating: 0, count: resolution * resolution * 3)
        for y in 0..<resolution {
            for x in 0..<resolution {
                let t = Double(y) / r
                for c in 0..<3 { image[(y * resolution + x) * 3 + c] = top[c] * (1 - t) + bottom[c] * t }
            }
        }
        for _ in 0..<(1 + Int(u() * 3)) {
            let (cx, cy, size, kind, fill) = (u() * r, u() * r, (0.12 + 0.25 * u()) * r, Int(u() * 3), colour())
            for y in 0..<resolution {
                for x in 0..<resolution {
                    let (dx, dy) = (Double(x) + 0.5 - cx, Double(y) + 0.5 - cy)
                    let distance: Double
                    switch kind {
                    case 0: distance = (dx * dx + dy * dy).squareRoot() - size              // disc
                    case 1: distance = Swift.max(Swift.abs(dx), Swift.abs(dy)) - size       // square
                    default: distance = Swift.abs((dx * dx + dy * dy).squareRoot() - size) - size / 4  // ring
                    }
                    let coverage = Swift.min(Swift.max(0.5 - distance, 0), 1)              // antialiased edge
                    for c in 0..<3 {
                        let i = (y * resolution + x) * 3 + c
                        image[i] = image[i] * (1 - coverage) + fill[c] * coverage
                    }
                }
            }
        }
        return image.map { UInt8(Swift.min(Swift.max($0 * 255, 0), 255).rounded()) }
    }
}
