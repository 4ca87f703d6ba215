import Foundation

/// Seed lists as users write them: `0-7,12` (ranges inclusive).
public enum SeedList {
    /// Parses `text`; throws a message naming the bad part.
    public static func parse(_ text: String) throws -> [UInt32] {
        var seeds: [UInt32] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard !part.isEmpty, bounds.count <= 2, let low = UInt32(bounds[0]), let high = UInt32(bounds.last!) else {
                throw RenderError.badSeed(part: part, list: text)
            }
            guard low <= high else {
                throw RenderError.backwardSeedRange(part: part, low: low, high: high)
            }
            guard high - low < 1_000_000, seeds.count + Int(high - low) < 1_000_000 else {
                throw RenderError.tooManySeeds(list: text)
            }
            seeds.append(contentsOf: low...high)
        }
        return seeds
    }
}

/// A bad argument or input of rendering: each case carries the values it is about.
public enum RenderError: Error, CustomStringConvertible, Equatable {
    /// `--seeds`: `part` of `list` is neither a seed nor a range.
    case badSeed(part: String, list: String)
    /// `--seeds`: a range `part` written from its high end (`low` is the number written first).
    case backwardSeedRange(part: String, low: UInt32, high: UInt32)
    /// `--seeds`: a list of over a million seeds.
    case tooManySeeds(list: String)
    /// `--styles`: text that names no group of layers.
    case badStyles(String)
    /// `--styles`: ws beyond the network's.
    case stylesOutsideNetwork(StyleLayers, numWs: Int)
    /// `--styles`: a group with no layers in a network of this resolution.
    case noLayersInGroup(StyleLayers, resolution: Int)
    /// An interpolation of fewer than two latents.
    case tooFewLatentsToInterpolate(Int)
    /// A figure of no images.
    case nothingToDraw
    /// `--latents`: a file without tensor `z` (`tensors`: what it holds).
    case latentsMissing(path: String, tensors: [String])
    /// `--latents`: a tensor `z` of another shape than `[N, z_dim]`.
    case latentsShape(path: String, shape: [Int], zDim: Int)
    /// A network file without G or G_ema.
    case noGenerator(path: String)
    /// A generator tensor holding NaN or Inf.
    case nonFiniteTensor(path: String, tensor: String)
    /// `--cutoff` beyond the network's ws.
    case cutoffBeyondWs(cutoff: Int, numWs: Int)
    /// Rendered image values that were NaN or Inf.
    case nonFiniteImages(count: Int)

    public var description: String {
        switch self {
        case .badSeed(let part, let list):
            return "--seeds: '\(part)' in '\(list)' is not a seed or a range like 0-7 (seeds are 0 to 4294967295)"
        case .backwardSeedRange(let part, let low, let high):
            return "--seeds: range '\(part)' runs backwards; write \(high)-\(low)"
        case .tooManySeeds(let list):
            return "--seeds: '\(list)' names over a million seeds"
        case .badStyles(let text):
            return "--styles '\(text)' is not coarse, middle, fine, all or a range like 0-3"
        case .stylesOutsideNetwork(let group, let numWs):
            return "--styles \(group) lies outside the network's \(numWs) ws (0-\(numWs - 1))"
        case .noLayersInGroup(let group, let resolution):
            return "--styles \(group): a \(resolution)x\(resolution) network has no \(group) layers"
        case .tooFewLatentsToInterpolate:
            return "interpolation needs at least two seeds or latents"
        case .nothingToDraw:
            return "nothing to draw"
        case .latentsMissing(let path, let tensors):
            return "--latents: \(path) has no tensor 'z'; it holds \(tensors.joined(separator: ", "))"
        case .latentsShape(let path, let shape, let zDim):
            return "--latents: tensor 'z' of \(path) has shape \(shape); the network needs [N, \(zDim)]"
        case .noGenerator(let path):
            return "\(path) holds no generator (G or G_ema) to render with"
        case .nonFiniteTensor(let path, let tensor):
            return "\(path): tensor \(tensor) holds NaN or Inf (a damaged file, or a training run that diverged); render an earlier snapshot, or give --allow-nonfinite to render it anyway"
        case .cutoffBeyondWs(let cutoff, let numWs):
            return "--cutoff \(cutoff) is beyond the network's \(numWs) ws"
        case .nonFiniteImages(let count):
            return "\(count) image values were NaN or Inf (written as black); the network overflows for these latents"
        }
    }
}
