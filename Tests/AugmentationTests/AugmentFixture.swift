import Augmentation
import Foundation
import SafeTensors
import Tensors
import Testing

/// The official `AugmentPipe`'s outputs and recorded draws in `Tests/Fixtures/augment` (written by
/// `tools/ada_fixtures.py` from stylegan2-ada-pytorch d72cc7d).
enum AugmentFixture {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    nonisolated(unsafe) static let file: SafeTensorsFile = {
        try! SafeTensorsFile(path: folder.appendingPathComponent("augment/augment.safetensors").path)
    }()

    struct Case: Decodable {
        var kwargs: [String: Double]
        var p: Double
        var input: String
        var draws: [Draw]

        struct Draw: Decodable {
            var kind: String
            var shape: [Int]
            init(from decoder: Decoder) throws {
                var c = try decoder.unkeyedContainer()
                kind = try c.decode(String.self)
                shape = try c.decode([Int].self)
            }
        }
    }

    static var cases: [String: Case] {
        get throws {
            try JSONDecoder().decode([String: Case].self, from: Data(#require(file.metadata["cases"]).utf8))
        }
    }

    static func tensor(_ name: String, on device: Device = .cpu) throws -> Tensor {
        let entry = try #require(file.entry(name), "fixture tensor \(name) missing")
        return try Tensor(file.floats(name), shape: entry.shape, on: device)
    }

    /// The pipe of a case: the official constructor's keyword arguments and p.
    static func pipe(_ c: Case) throws -> AugmentPipe {
        var pipe = AugmentPipe()
        for (key, value) in c.kwargs {
            switch key {
            case "xflip": pipe.xflip = value
            case "rotate90": pipe.rotate90 = value
            case "xint": pipe.xint = value
            case "scale": pipe.scale = value
            case "rotate": pipe.rotate = value
            case "aniso": pipe.aniso = value
            case "xfrac": pipe.xfrac = value
            case "brightness": pipe.brightness = value
            case "contrast": pipe.contrast = value
            case "lumaflip": pipe.lumaflip = value
            case "hue": pipe.hue = value
            case "saturation": pipe.saturation = value
            case "imgfilter": pipe.imgfilter = value
            case "noise": pipe.noise = value
            case "cutout": pipe.cutout = value
            default: Issue.record("unknown AugmentPipe argument \(key)")
            }
        }
        pipe.p = c.p
        return pipe
    }
}

/// Replays a case's recorded draws in order, checking that the pipeline asks for each one as the
/// official code drew it (kind and shape).
struct ReplayRandomness: AugmentRandomness {
    let name: String
    let draws: [AugmentFixture.Case.Draw]
    var next = 0
    /// Set when the pipeline asked for something the recording does not have next.
    var mismatch: String?

    init(_ name: String, _ c: AugmentFixture.Case) {
        self.name = name
        draws = c.draws
    }

    mutating func take(_ kind: String, _ perSample: Int) -> [[Float]] {
        guard next < draws.count else {
            mismatch = mismatch ?? "draw \(next): asked \(kind) ×\(perSample) after the last recorded draw"
            return Array(repeating: Array(repeating: 0, count: perSample), count: 4)
        }
        let draw = draws[next]
        let batch = draw.shape[0], count = draw.shape.dropFirst().reduce(1, *)
        let values = (try? AugmentFixture.file.floats("\(name).draw\(String(format: "%02d", next))")) ?? []
        next += 1
        guard draw.kind == kind, count == perSample, values.count == batch * count else {
            mismatch = mismatch ?? "draw \(next - 1): asked \(kind) ×\(perSample), recorded \(draw.kind) \(draw.shape)"
            return Array(repeating: Array(repeating: 0, count: perSample), count: batch)
        }
        return (0..<batch).map { s in Array(values[(s * count)..<(s * count + count)]) }
    }

    mutating func uniform(_ perSample: Int) -> [[Float]] { take("rand", perSample) }
    mutating func normal(_ perSample: Int) -> [[Float]] { take("randn", perSample) }

    mutating func normalImage(_ shape: [Int], on device: Device, needed: Bool) throws -> Tensor? {
        let index = next
        _ = take("randn", shape.dropFirst().reduce(1, *))
        return needed ? try AugmentFixture.tensor("\(name).draw\(String(format: "%02d", index))", on: device) : nil
    }
}
