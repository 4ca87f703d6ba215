import ImageIO
import Tensors

extension InceptionV3 {
    /// The bilinear resampling matrix `[output, input]` of `F.interpolate(mode='bilinear',
    /// align_corners=False)` along one axis: output o reads input `(o + 0.5)·in/out − 0.5`, clamped
    /// at 0, from its two neighbours, in float32 as torch computes it.
    public static func bilinearMatrix(from input: Int, to output: Int) -> [Float] {
        var m = [Float](repeating: 0, count: output * input)
        let scale = Float(input) / Float(output)
        for o in 0..<output {
            let source = Swift.max(scale * (Float(o) + 0.5) - 0.5, 0)
            let i0 = Swift.min(Int(source), input - 1)
            let i1 = i0 < input - 1 ? i0 + 1 : i0
            let lambda = source - Float(i0)
            m[o * input + i0] += 1 - lambda
            m[o * input + i1] += lambda
        }
        return m
    }

    /// `[n, 3, 299, 299]` in [-1, 1] from 8-bit images of one size, as pytorch-fid prepares them:
    /// RGB (gray repeated, alpha dropped, as PIL's `convert('RGB')`), `x / 255`, bilinear resize to
    /// 299×299 (two matrix products on the device), `2x − 1`.
    func prepared(_ images: ArraySlice<PNGImage>) throws -> Tensor {
        let (h, w) = (images.first!.height, images.first!.width)
        var values = [Float](repeating: 0, count: images.count * 3 * h * w)
        for (n, image) in images.enumerated() {
            let c = image.channels
            for y in 0..<h {
                for x in 0..<w {
                    let pixel = (y * w + x) * c
                    for ch in 0..<3 {
                        let source = c >= 3 ? pixel + ch : pixel  // gray (and gray + alpha) repeated
                        values[((n * 3 + ch) * h + y) * w + x] = Float(image.pixels[source]) / 255
                    }
                }
            }
        }
        var x = try Tensor(values, shape: [images.count * 3, h, w], on: device)
        let size = Self.inputSize
        if h != size || w != size {
            let columns = try Tensor(Self.bilinearMatrix(from: w, to: size), shape: [size, w], on: device)
            let rows = try Tensor(Self.bilinearMatrix(from: h, to: size), shape: [size, h], on: device)
            x = try rows.matmul(x.matmul(columns, transposeOther: true))
        }
        return try (x * 2 + -1).reshape([images.count, 3, size, size])
    }

    /// The pool3 features `[N, 2048]` (row-major) of 8-bit images of any sizes and 1–4 channels,
    /// `batchSize` images at a time (consecutive images of one size share a batch).
    public func features(of images: [PNGImage], batchSize: Int = 16) throws -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(images.count * Self.featureCount)
        var start = 0
        while start < images.count {
            var end = start + 1
            while end < images.count, end - start < batchSize,
                  images[end].width == images[start].width, images[end].height == images[start].height { end += 1 }
            let batch = try features(normalized: prepared(images[start..<end]))
            out += try batch.toArray()
            start = end
        }
        return out
    }
}
