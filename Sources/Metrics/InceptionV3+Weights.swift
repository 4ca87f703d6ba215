import Foundation
import SafeTensors
import Tensors

extension InceptionV3 {
    /// torchvision's `BatchNorm2d` epsilon in `BasicConv2d`.
    static let batchNormEpsilon = 0.001

    /// The state-dict tensors of one `BasicConv2d`, with their expected shapes.
    static func expectedTensors(of spec: ConvSpec) -> [(key: String, shape: [Int])] {
        let o = spec.outChannels
        return [("\(spec.name).conv.weight", [o, spec.inChannels, spec.kernel.y, spec.kernel.x]),
                ("\(spec.name).bn.weight", [o]), ("\(spec.name).bn.bias", [o]),
                ("\(spec.name).bn.running_mean", [o]), ("\(spec.name).bn.running_var", [o])]
    }

    /// The network from pytorch-fid's state-dict tensors (`Mixed_6b.branch7x7_2.conv.weight`,
    /// `….bn.weight`, `….bn.bias`, `….bn.running_mean`, `….bn.running_var`; other keys such as `fc.*`
    /// are not used): `tensor(key)` gives a tensor's shape and values, nil when absent. Each batch
    /// norm is folded into its convolution in float64: `w·γ/√(σ²+ε)` and `β − μ·γ/√(σ²+ε)`.
    public convenience init(source: String, on device: Device,
                            tensor: (String) throws -> (shape: [Int], values: [Float])?) throws {
        var folded: [String: (weight: [Float], bias: [Float])] = [:]
        for spec in Self.convs {
            var values: [[Float]] = []
            for (key, shape) in Self.expectedTensors(of: spec) {
                guard let t = try tensor(key) else { throw MetricsError.missingTensor(path: source, name: key) }
                guard t.shape == shape, t.values.count == shape.reduce(1, *) else {
                    throw MetricsError.tensorShape(path: source, name: key, expected: shape, found: t.shape)
                }
                guard t.values.allSatisfy(\.isFinite) else { throw MetricsError.nonFiniteTensor(path: source, name: key) }
                values.append(t.values)
            }
            let (w, gamma, beta, mean, variance) = (values[0], values[1], values[2], values[3], values[4])
            let perOutput = w.count / spec.outChannels
            var weight = [Float](repeating: 0, count: w.count), bias = [Float](repeating: 0, count: spec.outChannels)
            for o in 0..<spec.outChannels {
                let scale = Double(gamma[o]) / (Double(variance[o]) + Self.batchNormEpsilon).squareRoot()
                for i in 0..<perOutput { weight[o * perOutput + i] = Float(Double(w[o * perOutput + i]) * scale) }
                bias[o] = Float(Double(beta[o]) - Double(mean[o]) * scale)
            }
            folded[spec.name] = (weight, bias)
        }
        try self.init(folded: folded, on: device)
    }

    /// The network from a safetensors file written by `tools/convert_official.py` from pytorch-fid's
    /// `pt_inception-2015-12-05-6726825d.pth`.
    public convenience init(file path: String, on device: Device) throws {
        let file: SafeTensorsFile
        do {
            file = try SafeTensorsFile(path: path)
        } catch {
            throw MetricsError.unreadableWeights(path: path, reason: "\(error)")
        }
        try self.init(source: path, on: device) { key in
            guard let entry = file.entry(key) else { return nil }
            return (entry.shape, try file.floats(key))
        }
    }
}
