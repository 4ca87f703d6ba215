import OpenCLRuntime

extension OpenCLBackend {
    /// Largest im2col buffer, in elements; bigger batches are processed in chunks.
    static let im2colLimit = 32 << 20

    /// Convolution as im2col followed by one batched matmul per group; a 1×1 convolution with
    /// stride 1 and no padding multiplies the input directly.
    public func conv2d(_ x: Storage, shape xShape: [Int], _ w: Storage, shape wShape: [Int],
                       _ p: Conv2dParameters) throws -> Storage {
        let (batch, channels, height, width) = (xShape[0], xShape[1], xShape[2], xShape[3])
        let (outChannels, groupChannels, kh, kw) = (wShape[0], wShape[1], wShape[2], wShape[3])
        let (oh, ow) = p.outputSize(height: height, width: width, kernelHeight: kh, kernelWidth: kw)
        let spatial = oh * ow
        let outPerGroup = outChannels / p.groups
        let rowsPerGroup = groupChannels * kh * kw
        let out = try allocate(count: batch * outChannels * spatial, dtype: x.dtype)
        let outMem = storage(out).mem
        let weight = storage(w).mem

        func weightLayout(_ g: Int) -> MatrixLayout {
            MatrixLayout(offset: g * outPerGroup * rowsPerGroup, batchStride: 0, rowStride: rowsPerGroup, columnStride: 1)
        }

        if kh == 1 && kw == 1 && p.stride == (1, 1) && p.padding == (0, 0) {
            for g in 0..<p.groups {
                let input = MatrixLayout(offset: g * groupChannels * spatial, batchStride: channels * spatial,
                                         rowStride: spatial, columnStride: 1)
                try matmul(into: outMem, offset: g * outPerGroup * spatial, batchStride: outChannels * spatial,
                           weight, weightLayout(g), storage(x).mem, input,
                           batch: batch, m: outPerGroup, n: spatial, k: rowsPerGroup)
            }
            return out
        }

        let rows = channels * kh * kw
        let chunk = max(1, min(batch, Self.im2colLimit / max(1, rows * spatial)))
        let col = try allocate(count: chunk * rows * spatial, dtype: x.dtype)
        let colMem = storage(col).mem
        let im2col = try runtime.kernel("im2col_f32", file: Self.convFile)
        for start in stride(from: 0, to: batch, by: chunk) {
            let count = min(chunk, batch - start)
            try runtime.launch(
                im2col, global: [count * rows * spatial],
                [.buffer(colMem), .buffer(storage(x).mem), .i(start * channels * height * width), .i(count),
                 .i(channels), .i(height), .i(width), .i(kh), .i(kw), .i(p.stride.y), .i(p.stride.x),
                 .i(p.padding.y), .i(p.padding.x), .i(oh), .i(ow)])
            for g in 0..<p.groups {
                let input = MatrixLayout(offset: g * rowsPerGroup * spatial, batchStride: rows * spatial,
                                         rowStride: spatial, columnStride: 1)
                try matmul(into: outMem, offset: (start * outChannels + g * outPerGroup) * spatial,
                           batchStride: outChannels * spatial, weight, weightLayout(g), colMem, input,
                           batch: count, m: outPerGroup, n: spatial, k: rowsPerGroup)
            }
        }
        return out
    }
}
