import Tensors

/// Inception-v3 as pytorch-fid computes FID with it (`pytorch_fid/inception.py`, `fid_inception_v3`):
/// torchvision's Inception3 with the FID blocks `FIDInceptionA`, `FIDInceptionC`, `FIDInceptionE_1`
/// (average pooling without the padding in the count) and `FIDInceptionE_2` (max pooling), up to
/// the 2048 pool3 features. Every `BasicConv2d` (conv, batch norm with eps 0.001, ReLU) runs as one
/// convolution and one fused bias + ReLU: the batch norm is folded into the weights at load.
///
/// The names are torchvision's (`Mixed_6b.branch7x7_2`), as in the state dict that
/// `tools/convert_official.py` converts.
public final class InceptionV3 {
    /// The length of a feature vector (pool3).
    public static let featureCount = 2048
    /// The side the images are resized to.
    public static let inputSize = 299

    /// One `BasicConv2d`: its name, channels, kernel, stride and padding.
    public struct ConvSpec: Sendable, Equatable {
        public var name: String
        public var inChannels: Int
        public var outChannels: Int
        public var kernel: (y: Int, x: Int)
        public var stride: Int
        public var padding: (y: Int, x: Int)

        public static func == (l: ConvSpec, r: ConvSpec) -> Bool {
            l.name == r.name && l.inChannels == r.inChannels && l.outChannels == r.outChannels && l.kernel == r.kernel
                && l.stride == r.stride && l.padding == r.padding
        }
    }

    /// A folded `BasicConv2d` on the device.
    struct Conv {
        let spec: ConvSpec
        let weight: Tensor
        let bias: Tensor

        func callAsFunction(_ x: Tensor) throws -> Tensor {
            try x.conv2d(weight, stride: (spec.stride, spec.stride), padding: spec.padding)
                .biasAct(bias: bias, BiasActParameters(.lrelu, alpha: 0, gain: 1))
        }
    }

    let convs: [String: Conv]
    public let device: Device

    /// The network from folded weights: for each conv of `InceptionV3.convs`, a weight
    /// `[O, I, KH, KW]` and a bias `[O]` (see `FoldedWeights`).
    init(folded: [String: (weight: [Float], bias: [Float])], on device: Device) throws {
        var convs: [String: Conv] = [:]
        for spec in Self.convs {
            guard let w = folded[spec.name] else { throw MetricsError.missingTensor(path: "<weights>", name: "\(spec.name).conv.weight") }
            convs[spec.name] = Conv(
                spec: spec,
                weight: try Tensor(w.weight, shape: [spec.outChannels, spec.inChannels, spec.kernel.y, spec.kernel.x], on: device),
                bias: try Tensor(w.bias, shape: [spec.outChannels], on: device))
        }
        self.convs = convs
        self.device = device
    }

    func conv(_ name: String, _ x: Tensor) throws -> Tensor {
        guard let c = convs[name] else { throw MetricsError.missingTensor(path: "<weights>", name: "\(name).conv.weight") }
        return try c(x)
    }

    /// The 2048 pool3 features of `images` `[N, 3, 299, 299]` already scaled to [-1, 1].
    public func features(normalized x: Tensor) throws -> Tensor {
        guard x.rank == 4, x.shape[1] == 3 else {
            throw MetricsError.imageShape(expected: "[N, 3, H, W]", found: x.shape)
        }
        return try GradMode.disabled {
            // Block 0 and 1 (the stem).
            var x = try conv("Conv2d_1a_3x3", x)
            x = try conv("Conv2d_2a_3x3", x)
            x = try conv("Conv2d_2b_3x3", x)
            x = try x.maxPool2d(kernel: 3, stride: 2)
            x = try conv("Conv2d_3b_1x1", x)
            x = try conv("Conv2d_4a_3x3", x)
            x = try x.maxPool2d(kernel: 3, stride: 2)
            // Block 2.
            for name in ["Mixed_5b", "Mixed_5c", "Mixed_5d"] { x = try inceptionA(name, x) }
            x = try inceptionB("Mixed_6a", x)
            for name in ["Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"] { x = try inceptionC(name, x) }
            // Block 3.
            x = try inceptionD("Mixed_7a", x)
            x = try inceptionE("Mixed_7b", x, maxPool: false)
            x = try inceptionE("Mixed_7c", x, maxPool: true)
            return try x.mean(axes: [2, 3])
        }
    }

    /// The pooled branch of the FID blocks, `branch_pool(avg_pool2d(x, 3, 1, 1, count_include_pad=False))`,
    /// computed as average pooling of the 1×1 convolution: both are linear and per channel, so they
    /// commute, and the pooling then reads the conv's fewer channels (192 of 768, 32 of 192). The
    /// bias and ReLU come after the pooling (a mean of windows of a constant is that constant).
    func pooledBranch(_ name: String, _ x: Tensor) throws -> Tensor {
        guard let c = convs[name] else { throw MetricsError.missingTensor(path: "<weights>", name: "\(name).conv.weight") }
        return try x.conv2d(c.weight)
            .avgPool2d(kernel: 3, stride: 1, padding: 1, countIncludesPadding: false)
            .biasAct(bias: c.bias, BiasActParameters(.lrelu, alpha: 0, gain: 1))
    }

    func inceptionA(_ n: String, _ x: Tensor) throws -> Tensor {
        let branch1x1 = try conv("\(n).branch1x1", x)
        let branch5x5 = try conv("\(n).branch5x5_2", conv("\(n).branch5x5_1", x))
        let branch3x3dbl = try conv("\(n).branch3x3dbl_3", conv("\(n).branch3x3dbl_2", conv("\(n).branch3x3dbl_1", x)))
        let branchPool = try pooledBranch("\(n).branch_pool", x)
        return try Tensor.concat([branch1x1, branch5x5, branch3x3dbl, branchPool], axis: 1)
    }

    func inceptionB(_ n: String, _ x: Tensor) throws -> Tensor {
        let branch3x3 = try conv("\(n).branch3x3", x)
        let branch3x3dbl = try conv("\(n).branch3x3dbl_3", conv("\(n).branch3x3dbl_2", conv("\(n).branch3x3dbl_1", x)))
        let branchPool = try x.maxPool2d(kernel: 3, stride: 2)
        return try Tensor.concat([branch3x3, branch3x3dbl, branchPool], axis: 1)
    }

    func inceptionC(_ n: String, _ x: Tensor) throws -> Tensor {
        let branch1x1 = try conv("\(n).branch1x1", x)
        var branch7x7 = try conv("\(n).branch7x7_1", x)
        branch7x7 = try conv("\(n).branch7x7_3", conv("\(n).branch7x7_2", branch7x7))
        var branch7x7dbl = try conv("\(n).branch7x7dbl_1", x)
        for i in 2...5 { branch7x7dbl = try conv("\(n).branch7x7dbl_\(i)", branch7x7dbl) }
        let branchPool = try pooledBranch("\(n).branch_pool", x)
        return try Tensor.concat([branch1x1, branch7x7, branch7x7dbl, branchPool], axis: 1)
    }

    func inceptionD(_ n: String, _ x: Tensor) throws -> Tensor {
        let branch3x3 = try conv("\(n).branch3x3_2", conv("\(n).branch3x3_1", x))
        var branch7x7x3 = try conv("\(n).branch7x7x3_1", x)
        for i in 2...4 { branch7x7x3 = try conv("\(n).branch7x7x3_\(i)", branch7x7x3) }
        let branchPool = try x.maxPool2d(kernel: 3, stride: 2)
        return try Tensor.concat([branch3x3, branch7x7x3, branchPool], axis: 1)
    }

    /// `FIDInceptionE_1` (average pooling) or `FIDInceptionE_2` (max pooling).
    func inceptionE(_ n: String, _ x: Tensor, maxPool: Bool) throws -> Tensor {
        let branch1x1 = try conv("\(n).branch1x1", x)
        let b3 = try conv("\(n).branch3x3_1", x)
        let branch3x3 = try Tensor.concat([conv("\(n).branch3x3_2a", b3), conv("\(n).branch3x3_2b", b3)], axis: 1)
        let d3 = try conv("\(n).branch3x3dbl_2", conv("\(n).branch3x3dbl_1", x))
        let branch3x3dbl = try Tensor.concat([conv("\(n).branch3x3dbl_3a", d3), conv("\(n).branch3x3dbl_3b", d3)], axis: 1)
        let branchPool = maxPool ? try conv("\(n).branch_pool", x.maxPool2d(kernel: 3, stride: 1, padding: 1))
            : try pooledBranch("\(n).branch_pool", x)
        return try Tensor.concat([branch1x1, branch3x3, branch3x3dbl, branchPool], axis: 1)
    }
}

extension InceptionV3 {
    /// Every `BasicConv2d` up to pool3, in torchvision's order, with its geometry.
    public static let convs: [ConvSpec] = {
        var specs: [ConvSpec] = []
        func add(_ name: String, _ i: Int, _ o: Int, _ k: (Int, Int), stride: Int = 1, padding: (Int, Int) = (0, 0)) {
            specs.append(ConvSpec(name: name, inChannels: i, outChannels: o, kernel: k, stride: stride, padding: padding))
        }
        add("Conv2d_1a_3x3", 3, 32, (3, 3), stride: 2)
        add("Conv2d_2a_3x3", 32, 32, (3, 3))
        add("Conv2d_2b_3x3", 32, 64, (3, 3), padding: (1, 1))
        add("Conv2d_3b_1x1", 64, 80, (1, 1))
        add("Conv2d_4a_3x3", 80, 192, (3, 3))
        for (n, c, pool) in [("Mixed_5b", 192, 32), ("Mixed_5c", 256, 64), ("Mixed_5d", 288, 64)] {
            add("\(n).branch1x1", c, 64, (1, 1))
            add("\(n).branch5x5_1", c, 48, (1, 1))
            add("\(n).branch5x5_2", 48, 64, (5, 5), padding: (2, 2))
            add("\(n).branch3x3dbl_1", c, 64, (1, 1))
            add("\(n).branch3x3dbl_2", 64, 96, (3, 3), padding: (1, 1))
            add("\(n).branch3x3dbl_3", 96, 96, (3, 3), padding: (1, 1))
            add("\(n).branch_pool", c, pool, (1, 1))
        }
        add("Mixed_6a.branch3x3", 288, 384, (3, 3), stride: 2)
        add("Mixed_6a.branch3x3dbl_1", 288, 64, (1, 1))
        add("Mixed_6a.branch3x3dbl_2", 64, 96, (3, 3), padding: (1, 1))
        add("Mixed_6a.branch3x3dbl_3", 96, 96, (3, 3), stride: 2)
        for (n, c7) in [("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)] {
            add("\(n).branch1x1", 768, 192, (1, 1))
            add("\(n).branch7x7_1", 768, c7, (1, 1))
            add("\(n).branch7x7_2", c7, c7, (1, 7), padding: (0, 3))
            add("\(n).branch7x7_3", c7, 192, (7, 1), padding: (3, 0))
            add("\(n).branch7x7dbl_1", 768, c7, (1, 1))
            add("\(n).branch7x7dbl_2", c7, c7, (7, 1), padding: (3, 0))
            add("\(n).branch7x7dbl_3", c7, c7, (1, 7), padding: (0, 3))
            add("\(n).branch7x7dbl_4", c7, c7, (7, 1), padding: (3, 0))
            add("\(n).branch7x7dbl_5", c7, 192, (1, 7), padding: (0, 3))
            add("\(n).branch_pool", 768, 192, (1, 1))
        }
        add("Mixed_7a.branch3x3_1", 768, 192, (1, 1))
        add("Mixed_7a.branch3x3_2", 192, 320, (3, 3), stride: 2)
        add("Mixed_7a.branch7x7x3_1", 768, 192, (1, 1))
        add("Mixed_7a.branch7x7x3_2", 192, 192, (1, 7), padding: (0, 3))
        add("Mixed_7a.branch7x7x3_3", 192, 192, (7, 1), padding: (3, 0))
        add("Mixed_7a.branch7x7x3_4", 192, 192, (3, 3), stride: 2)
        for (n, c) in [("Mixed_7b", 1280), ("Mixed_7c", 2048)] {
            add("\(n).branch1x1", c, 320, (1, 1))
            add("\(n).branch3x3_1", c, 384, (1, 1))
            add("\(n).branch3x3_2a", 384, 384, (1, 3), padding: (0, 1))
            add("\(n).branch3x3_2b", 384, 384, (3, 1), padding: (1, 0))
            add("\(n).branch3x3dbl_1", c, 448, (1, 1))
            add("\(n).branch3x3dbl_2", 448, 384, (3, 3), padding: (1, 1))
            add("\(n).branch3x3dbl_3a", 384, 384, (1, 3), padding: (0, 1))
            add("\(n).branch3x3dbl_3b", 384, 384, (3, 1), padding: (1, 0))
            add("\(n).branch_pool", c, 192, (1, 1))
        }
        return specs
    }()
}
