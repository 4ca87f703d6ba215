import Foundation
import Tensors

/// The augmentation pipeline of "Training Generative Adversarial Networks with Limited Data"
/// (the official `training/augment.py` `AugmentPipe`): pixel blitting, general geometric
/// transforms, colour transforms, image-space filtering and corruptions, each applied to a sample
/// with probability `multiplier · p`. The official parameter names, defaults and draw order.
///
/// Every stage is linear in the image (the random parameters are constants of the draw), so the
/// pipeline is differentiable to any order: R1 flows through the augmented reals.
public struct AugmentPipe: Equatable, Sendable {
    /// The overall augmentation probability (ADA adjusts it during training).
    public var p: Double = 1

    // Pixel blitting.
    public var xflip = 0.0, rotate90 = 0.0, xint = 0.0, xintMax = 0.125
    // General geometric transformations.
    public var scale = 0.0, rotate = 0.0, aniso = 0.0, xfrac = 0.0
    public var scaleStd = 0.2, rotateMax = 1.0, anisoStd = 0.2, xfracStd = 0.125
    // Colour transformations.
    public var brightness = 0.0, contrast = 0.0, lumaflip = 0.0, hue = 0.0, saturation = 0.0
    public var brightnessStd = 0.2, contrastStd = 0.5, hueMax = 1.0, saturationStd = 1.0
    // Image-space filtering.
    public var imgfilter = 0.0, imgfilterBands: [Double] = [1, 1, 1, 1], imgfilterStd = 1.0
    // Image-space corruptions.
    public var noise = 0.0, cutout = 0.0, noiseStd = 0.1, cutoutSize = 0.5

    /// All augmentations off (enable them by setting their multipliers to 1).
    public init() {}

    /// The named pipelines of the official `train.py --augpipe`.
    public static let names = ["blit", "geom", "color", "filter", "noise", "cutout", "bg", "bgc", "bgcf", "bgcfn", "bgcfnc"]

    /// The official `augpipe_specs[name]` (all multipliers 1 for the named groups), or nil for an unknown name.
    public init?(named name: String) {
        let groups: [Character]
        switch name {
        case "blit": groups = ["b"]
        case "geom": groups = ["g"]
        case "color": groups = ["c"]
        case "filter": groups = ["f"]
        case "noise": groups = ["n"]
        case "cutout": groups = ["x"]
        case "bg", "bgc", "bgcf", "bgcfn": groups = Array(name)
        case "bgcfnc": groups = ["b", "g", "c", "f", "n", "x"]
        default: return nil
        }
        self.init()
        for group in groups {
            switch group {
            case "b": (xflip, rotate90, xint) = (1, 1, 1)
            case "g": (scale, rotate, aniso, xfrac) = (1, 1, 1, 1)
            case "c": (brightness, contrast, lumaflip, hue, saturation) = (1, 1, 1, 1, 1)
            case "f": imgfilter = 1
            case "n": noise = 1
            default: cutout = 1
            }
        }
    }

    /// The smallest image side the pipeline accepts: the image filter reflect-pads by 21 pixels,
    /// which must stay inside the image (as in torch).
    public var minimumImageSize: Int { imgfilter > 0 ? Self.filterBank[0].count / 2 + 1 : 2 }

    var geometric: Bool { [xflip, rotate90, xint, scale, rotate, aniso, xfrac].contains { $0 > 0 } }

    /// Augments `images` `[N, C, H, W]` (C = 1 or 3) with draws from `random`.
    public func callAsFunction(_ images: Tensor, random: inout some AugmentRandomness) throws -> Tensor {
        guard images.rank == 4, images.shape[1] == 1 || images.shape[1] == 3 else {
            throw AugmentError.unsupportedImages(shape: images.shape)
        }
        guard Swift.min(images.shape[2], images.shape[3]) >= minimumImageSize else {
            throw AugmentError.imageTooSmall(shape: images.shape, minimum: minimumImageSize)
        }
        var x = images
        if geometric { x = try applyGeometric(x, inverse: drawGeometric(batch: x.shape[0], width: x.shape[3], height: x.shape[2], &random)) }
        x = try applyColor(x, drawColor(batch: x.shape[0], channels: x.shape[1], &random))
        if imgfilter > 0 { x = try applyFilter(x, gains: drawFilterGains(batch: x.shape[0], &random)) }
        if noise > 0 { x = try applyNoise(x, &random) }
        if cutout > 0 { x = try applyCutout(x, &random) }
        return x
    }

    /// `where(rand < probability, value, identity)` per sample, for a draw of `k` numbers per sample.
    func gated(_ values: [[Float]], probability: Double, identity: Float, _ random: inout some AugmentRandomness,
               gatePerSample: Int = 1) -> [[Float]] {
        let gate = random.uniform(gatePerSample)
        let threshold = Float(probability) * Float(p)
        return zip(values, gate).map { v, g in g[0] < threshold ? v : v.map { _ in identity } }
    }
}

/// What the augmentation pipeline refuses.
public enum AugmentError: Error, CustomStringConvertible {
    case unsupportedImages(shape: [Int])
    case imageTooSmall(shape: [Int], minimum: Int)

    public var description: String {
        switch self {
        case .unsupportedImages(let shape):
            "augmentation needs images [N, C, H, W] with C = 1 (L) or 3 (RGB), got \(shape); train without augmentation (--aug noaug) for other images"
        case .imageTooSmall(let shape, let minimum):
            "augmentation of images \(shape): the image filter needs at least \(minimum)×\(minimum) pixels; choose an --augpipe without 'f' or larger images"
        }
    }
}
