import Tensors

/// FIR filters and the official resampling helpers built on `upfirdn2d`
/// (`torch_utils/ops/upfirdn2d.py` of stylegan2-ada-pytorch).
public enum Filters {
    /// The official `setup_filter` for a short 1-D kernel: the outer product with itself,
    /// normalised to sum 1 (`[1,3,3,1]` gives the 4×4 StyleGAN2 filter).
    public static func setupFilter(_ taps: [Double], on device: Device = .cpu) throws -> Tensor {
        let total = taps.reduce(0, +)
        let values = taps.flatMap { a in taps.map { b in a * b / (total * total) } }
        return try Tensor(values, shape: [taps.count, taps.count], on: device)
    }

    /// `[1,3,3,1]`: StyleGAN2's resample filter. Zero insertion followed by it is bilinear up-sampling.
    public static let stylegan2Taps: [Double] = [1, 3, 3, 1]
    /// `[1,2,1]`: StyleGAN (v1)'s blur; after nearest up-sampling it makes bilinear up-sampling.
    public static let blurTaps: [Double] = [1, 2, 1]
}

extension Tensor {
    /// The official `upsample2d`: ×`factor` up-sampling with `filter`, padding
    /// `[(fw + up − 1) / 2, (fw − up) / 2]` and gain `up²`.
    public func upsample2d(filter: Tensor, factor: Int = 2) throws -> Tensor {
        let (fh, fw) = (filter.shape[0], filter.shape[1])
        let p = UpFirDn2dParameters(
            up: factor, padding: ((fw + factor - 1) / 2, (fw - factor) / 2, (fh + factor - 1) / 2, (fh - factor) / 2),
            gain: Double(factor * factor))
        return try upfirdn2d(filter: filter, p)
    }

    /// The official `downsample2d`: ×`factor` down-sampling with `filter`, padding
    /// `[(fw − down + 1) / 2, (fw − down) / 2]` and gain 1.
    public func downsample2d(filter: Tensor, factor: Int = 2) throws -> Tensor {
        let (fh, fw) = (filter.shape[0], filter.shape[1])
        let p = UpFirDn2dParameters(
            down: factor, padding: ((fw - factor + 1) / 2, (fw - factor) / 2, (fh - factor + 1) / 2, (fh - factor) / 2))
        return try upfirdn2d(filter: filter, p)
    }

    /// StyleGAN (v1)'s `blur2d`: the normalised 2-D filter with "same" padding.
    public func blur2d(filter: Tensor) throws -> Tensor {
        let (fh, fw) = (filter.shape[0], filter.shape[1])
        return try upfirdn2d(filter: filter, UpFirDn2dParameters(padding: ((fw - 1) / 2, fw / 2, (fh - 1) / 2, fh / 2)))
    }

    /// StyleGAN (v1)'s `upscale2d`: nearest-neighbour up-sampling (each pixel repeated `factor`×`factor`).
    public func upscale2d(factor: Int = 2) throws -> Tensor {
        let box = try Tensor.ones([factor, factor], dtype: dtype, on: device)
        return try upfirdn2d(filter: box, UpFirDn2dParameters(up: factor, padding: (factor - 1, 0, factor - 1, 0)))
    }

    /// StyleGAN (v1)'s `downscale2d`: the average of each `factor`×`factor` box.
    public func downscale2d(factor: Int = 2) throws -> Tensor {
        let box = try Tensor.full(1 / Double(factor * factor), shape: [factor, factor], dtype: dtype, on: device)
        return try upfirdn2d(filter: box, UpFirDn2dParameters(down: factor))
    }
}
