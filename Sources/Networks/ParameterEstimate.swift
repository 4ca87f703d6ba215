import Foundation

/// A configuration's size before anything is built: the number of weights its largest layers hold
/// (convolutions, dense layers and style affines; biases left out, so the count is a lower bound),
/// in floating point so that absurd values cannot overflow. Reading a network file compares it with
/// the values the file actually holds, so that metadata claiming a huge network is refused before
/// any memory is allocated for it.
public protocol ParameterEstimating {
    var estimatedParameters: Double { get }
    /// Throws unless the configuration describes a network this project builds.
    func validate() throws
}

/// Resolutions 4, 8, ..., `resolution` (empty for anything that is not a power of two ≥ 4).
private func resolutions(upTo resolution: Int) -> [Int] {
    guard resolution >= 4, resolution & (resolution - 1) == 0 else { return [] }
    return (2...resolution.trailingZeroBitCount).map { 1 << $0 }
}

extension StyleGAN2.GeneratorConfig: ParameterEstimating {
    public var estimatedParameters: Double {
        let (z, w, rgb) = (Double(zDim), Double(wDim), Double(imgChannels))
        var total = z * w + Double(Swift.max(mapping.numLayers - 1, 0)) * w * w
        for res in resolutions(upTo: imgResolution) {
            let c = Double(channels(at: res)), previous = res == 4 ? c : Double(channels(at: res / 2))
            total += res == 4 ? c * 16 : previous * c * 9 + w * previous   // const, or conv0 and its affine
            total += c * c * 9 + w * c + c * rgb + w * c                    // conv1, torgb and their affines
        }
        return total
    }
}

extension StyleGAN2.DiscriminatorConfig: ParameterEstimating {
    public var estimatedParameters: Double {
        var total = 0.0
        for res in resolutions(upTo: imgResolution) where res > 4 {
            let c = Double(channels(at: res)), next = Double(channels(at: res / 2))
            total += c * c * 9 + c * next * 9 + c * next   // conv0, conv1, skip
        }
        let c4 = Double(channels(at: 4))
        return total + c4 * (c4 + 1) * 9 + c4 * 16 * c4 + Double(imgChannels) * Double(channels(at: imgResolution))
    }
}

extension StyleGAN1.GeneratorConfig: ParameterEstimating {
    public var estimatedParameters: Double {
        let (z, f, w) = (Double(latentSize), Double(mappingFmaps), Double(dlatentSize))
        var total = z * f + Double(Swift.max(mappingLayers - 2, 0)) * f * f + f * w
        var previous = 0.0
        for res in resolutions(upTo: resolution) {
            let c = Double(nf(res.trailingZeroBitCount - 1))
            total += (res == 4 ? c * 16 : previous * c * 9) + c * c * 9 + 4 * w * c + c * Double(numChannels)
            previous = c
        }
        return total
    }
}

extension StyleGAN1.DiscriminatorConfig: ParameterEstimating {
    public var estimatedParameters: Double {
        var total = 0.0
        for res in resolutions(upTo: resolution) where res > 4 {
            let log2 = res.trailingZeroBitCount
            let (c, next) = (Double(nf(log2 - 1)), Double(nf(log2 - 2)))
            total += c * c * 9 + c * next * 9 + Double(numChannels) * c
        }
        let c = Double(nf(1))
        return total + c * (c + 1) * 9 + c * 16 * Double(nf(0))
    }
}
