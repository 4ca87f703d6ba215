import SafeTensors
import Tensors

extension InceptionV3 {
    /// Deterministic stand-in weights in pytorch-fid's architecture, for tests and benchmarks only:
    /// FIDs computed with them mean nothing. They are the formula of `tools/fid_fixtures.py`, so
    /// pytorch-fid computed the test fixtures with exactly these values: for state-dict key k and
    /// element i, `s = FNV-1a(k)`, `x = splitmix64(s ^ (i + 1)·0x9E3779B97F4A7C15)`,
    /// `u = (x >> 40) / 2²⁴ · 2 − 1`; a conv weight is `u·√(6 / fan_in)`, a batch-norm weight
    /// `1 + 0.1u`, a running variance `1 + 0.25(u + 1)`, biases and running means `0.1u`.
    public static func syntheticValues(key: String, shape: [Int]) -> [Float] {
        var seed: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { seed = (seed ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let count = shape.reduce(1, *)
        let fanIn = shape.count == 4 ? Double(shape[1] * shape[2] * shape[3]) : 1
        return (0..<count).map { i in
            var x = seed ^ (UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15)
            x ^= x >> 30
            x = x &* 0xBF58_476D_1CE4_E5B9
            x ^= x >> 27
            x = x &* 0x94D0_49BB_1331_11EB
            x ^= x >> 31
            let u = Double(x >> 40) / Double(1 << 24) * 2 - 1
            if key.hasSuffix(".conv.weight") { return Float(u * (6 / fanIn).squareRoot()) }
            if key.hasSuffix(".bn.weight") { return Float(1 + 0.1 * u) }
            if key.hasSuffix(".bn.running_var") { return Float(1 + 0.25 * (u + 1)) }
            return Float(0.1 * u)  // bn.bias, bn.running_mean
        }
    }

    /// The network with `syntheticValues` weights.
    public static func synthetic(on device: Device) throws -> InceptionV3 {
        var shapes: [String: [Int]] = [:]
        for spec in convs {
            for (key, shape) in expectedTensors(of: spec) { shapes[key] = shape }
        }
        return try InceptionV3(source: "synthetic weights", on: device) { key in
            shapes[key].map { ($0, syntheticValues(key: key, shape: $0)) }
        }
    }

    /// Writes `syntheticValues` as the weights file `tools/convert_official.py` would write.
    public static func writeSyntheticWeights(to path: String) throws {
        var writer = SafeTensorsWriter(metadata: ["format": "pytorch-fid-inception-v3", "source": "synthetic (tests and benchmarks only)"])
        for spec in convs {
            for (key, shape) in expectedTensors(of: spec) { writer.add(key, shape: shape, values: syntheticValues(key: key, shape: shape)) }
        }
        try writer.write(to: path)
    }
}
