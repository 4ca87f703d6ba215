import Foundation
import SafeTensors
import Testing

/// A deterministic mutation test of the safetensors parser: 100,000 corrupted files, no crash.
@Suite struct SafeTensorsFuzzTests {
    @Test func hundredThousandMutationsNeverCrash() throws {
        var writer = SafeTensorsWriter(metadata: ["sgan.arch": "stylegan2", "sgan.G_kwargs": #"{"img_resolution":8}"#])
        writer.add("G.a", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        writer.add("G.b", shape: [], values: [7])
        writer.add("D.c", shape: [4], values: [8, 9, 10, 11])
        let base = [UInt8](try writer.encoded())
        var random = SeededBytes(state: 7)
        var parsed = 0, rejected = 0
        for round in 0..<100_000 {
            var bytes = base
            switch round % 4 {
            case 0:
                for _ in 0..<(1 + Int(random.next() % 3)) { bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next()) }
            case 1:
                // Digits inside the JSON header: shapes and offsets.
                let header = 8 + Int(base[0]) + Int(base[1]) << 8
                let digits = (8..<header).filter { (48...57).contains(base[$0]) }
                #expect(!digits.isEmpty)
                bytes[digits[Int(random.next() % UInt64(digits.count))]] = [48, 57, 45, 46, 101][Int(random.next() % 5)]
            case 2:
                bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count))))
            default:
                // The header length field.
                bytes[Int(random.next() % 8)] = UInt8(truncatingIfNeeded: random.next())
            }
            if (try? SafeTensorsFile(data: Data(bytes))) != nil { parsed += 1 } else { rejected += 1 }
        }
        print("safetensors mutation test: 100000 cases, \(parsed) parsed, \(rejected) rejected with an error")
        #expect(rejected > 30_000)
    }
}

struct SeededBytes {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 11
    }
}
