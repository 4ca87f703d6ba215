import Foundation
import ImageIO
import Testing

/// A deterministic mutation test of the PNG loader: corrupted and truncated files must give an
/// error or an image, never a crash or a hang.
@Suite struct PNGFuzzTests {
    struct Mutator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Mutations of `base`: byte flips, runs of random bytes, truncation, interesting values in the header.
    static func mutate(_ base: [UInt8], _ random: inout Mutator, round: Int) -> [UInt8] {
        var bytes = base
        switch round % 5 {
        case 0:
            for _ in 0..<(1 + Int(random.next() % 4)) { bytes[Int(random.next() % UInt64(bytes.count))] ^= UInt8(1 << (random.next() % 8)) }
        case 1:
            let at = Int(random.next() % UInt64(bytes.count)), length = Int(random.next() % 16)
            for i in at..<min(bytes.count, at + length) { bytes[i] = UInt8(truncatingIfNeeded: random.next()) }
        case 2:
            bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count))))
        case 3:
            // Width, height, bit depth, colour type and interlace of IHDR (bytes 16–28).
            let at = 16 + Int(random.next() % 13)
            bytes[at] = [0, 1, 0x7F, 0x80, 0xFF][Int(random.next() % 5)]
        default:
            let at = Int(random.next() % UInt64(bytes.count))
            bytes.insert(contentsOf: (0..<Int(random.next() % 8)).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: at)
        }
        return bytes
    }

    @Test func hundredThousandMutationsNeverCrash() throws {
        let images = try [(1, 5), (3, 8), (4, 3)].map { channels, size in
            try PNGImage(width: size, height: size, channels: channels, pixels: (0..<(size * size * channels)).map { UInt8(($0 * 29) % 256) })
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sgan-pngfuzz-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let bases = try images.enumerated().map { i, image -> [UInt8] in
            let path = folder.appendingPathComponent("\(i).png").path
            try image.write(path: path)
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        var random = Mutator(state: 2026)
        var decoded = 0, rejected = 0
        for round in 0..<100_000 {
            let bytes = Self.mutate(bases[round % bases.count], &random, round: round)
            if (try? PNGImage.decode(Data(bytes))) != nil { decoded += 1 } else { rejected += 1 }
        }
        print("PNG mutation test: 100000 cases, \(decoded) decoded, \(rejected) rejected with an error")
        #expect(decoded + rejected == 100_000)
        #expect(rejected > 20_000)
    }
}
