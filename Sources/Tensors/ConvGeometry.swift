/// The geometry of one convolution (input, weight, parameters), shared by its forward pass and
/// both gradients on every backend.
package struct ConvGeometry {
    package let batch, channels, height, width: Int
    package let outChannels, groupChannels, kh, kw: Int
    package let oh, ow: Int
    package let p: Conv2dParameters

    package init(input: [Int], weight: [Int], _ p: Conv2dParameters) {
        (batch, channels, height, width) = (input[0], input[1], input[2], input[3])
        (outChannels, groupChannels, kh, kw) = (weight[0], weight[1], weight[2], weight[3])
        (oh, ow) = p.outputSize(height: height, width: width, kernelHeight: kh, kernelWidth: kw)
        self.p = p
    }

    package var spatial: Int { oh * ow }
    package var outPerGroup: Int { outChannels / p.groups }
    /// Rows of one group's im2col matrix: `C/groups · KH · KW`.
    package var rowsPerGroup: Int { groupChannels * kh * kw }
    /// Rows of the whole im2col matrix: `C · KH · KW`.
    package var rows: Int { channels * kh * kw }
    package var isPointwise: Bool { kh == 1 && kw == 1 && p.stride == (1, 1) && p.padding == (0, 0) }
}
