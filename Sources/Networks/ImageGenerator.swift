import Tensors

/// What rendering needs of a generator, for StyleGAN2 and StyleGAN (v1) alike.
public protocol ImageGenerator: AnyObject {
    var zDim: Int { get }
    var wDim: Int { get }
    var numWs: Int { get }
    var imgResolution: Int { get }
    var imgChannels: Int { get }
    var device: Device { get }
    /// ws `[N, num_ws, w_dim]` for z `[N, z_dim]`, truncated toward the tracked average by `psi`
    /// for the first `cutoff` ws (all when nil).
    func mapping(_ z: Tensor, psi: Double, cutoff: Int?) throws -> Tensor
    /// The resolution of the convolution that reads w number `index` (StyleGAN2: 4 for w 0, then two
    /// per resolution from 8; StyleGAN v1: two per resolution from 4).
    func resolution(ofW index: Int) -> Int
    /// Images `[N, C, R, R]` in about [-1, 1] for ws; `noiseAt`, when given, limits noise to the
    /// layers whose resolution it accepts.
    func synthesize(_ ws: Tensor, noiseMode: NoiseMode, random: RandomStream?, noiseAt: ((Int) -> Bool)?) throws -> Tensor
}

extension ImageGenerator {
    public func synthesize(_ ws: Tensor, noiseMode: NoiseMode, random: RandomStream?) throws -> Tensor {
        try synthesize(ws, noiseMode: noiseMode, random: random, noiseAt: nil)
    }
}

extension StyleGAN2.Generator: ImageGenerator {
    public func resolution(ofW index: Int) -> Int { Swift.min(4 << ((index + 1) / 2), config.imgResolution) }

    public var zDim: Int { config.zDim }
    public var wDim: Int { config.wDim }
    public var imgResolution: Int { config.imgResolution }
    public var imgChannels: Int { config.imgChannels }

    public func mapping(_ z: Tensor, psi: Double, cutoff: Int?) throws -> Tensor {
        try mapping(z, psi: psi, cutoff: cutoff, updateWAvg: false)
    }

    public func synthesize(_ ws: Tensor, noiseMode: NoiseMode, random: RandomStream?, noiseAt: ((Int) -> Bool)?) throws -> Tensor {
        try synthesis(ws, noiseMode: noiseMode, fused: false, random: random, noiseAt: noiseAt)
    }
}

extension StyleGAN1.Generator: ImageGenerator {
    public func resolution(ofW index: Int) -> Int { 4 << (index / 2) }

    public var zDim: Int { config.latentSize }
    public var wDim: Int { config.dlatentSize }
    public var imgResolution: Int { config.resolution }
    public var imgChannels: Int { config.numChannels }

    public func mapping(_ z: Tensor, psi: Double, cutoff: Int?) throws -> Tensor {
        try ws(z, psi: psi, cutoff: cutoff)
    }

    public func synthesize(_ ws: Tensor, noiseMode: NoiseMode, random: RandomStream?, noiseAt: ((Int) -> Bool)?) throws -> Tensor {
        try synthesis(ws, lod: Double(lod.value.item()), noiseMode: noiseMode, random: random, noiseAt: noiseAt)
    }
}

/// w `[N, w_dim]` repeated to `[N, num_ws, w_dim]`, the first `cutoff` ws (all when nil) truncated
/// toward `average` by `psi`: `average + psi·(w − average)`, as both official generators do.
func broadcastAndTruncate(_ w: Tensor, numWs: Int, average: Tensor, psi: Double, cutoff: Int?) throws -> Tensor {
    let (n, wDim) = (w.shape[0], w.shape[1])
    let ws = try w.reshape([n, 1, wDim]).expand(to: [n, numWs, wDim])
    if psi == 1 { return ws }
    let k = Swift.min(cutoff ?? numWs, numWs)
    let truncated = try average.reshape([1, 1, wDim]).lerp(ws.slice(axis: 1, 0..<k), psi)
    return k == numWs ? truncated : try Tensor.concat([truncated, ws.slice(axis: 1, k..<numWs)], axis: 1)
}
