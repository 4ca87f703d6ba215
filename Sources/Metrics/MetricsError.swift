/// Why a metric could not be computed: each case carries what it is about.
public enum MetricsError: Error, CustomStringConvertible, Equatable {
    /// No Inception weights were named (`--inception`, `SGAN_INCEPTION`).
    case inceptionWeightsNeeded(metric: String)
    /// The Inception weights file could not be read as safetensors.
    case unreadableWeights(path: String, reason: String)
    /// A tensor the network needs is not in the weights file.
    case missingTensor(path: String, name: String)
    /// A tensor of the weights file has another shape than the network's.
    case tensorShape(path: String, name: String, expected: [Int], found: [Int])
    /// A tensor of the weights file holds NaN or infinity.
    case nonFiniteTensor(path: String, name: String)
    /// Images of a shape the network cannot take.
    case imageShape(expected: String, found: [Int])
    /// Too few images for the statistic (FID needs 2, KID 2 on each side).
    case tooFewImages(what: String, count: Int, needed: Int)
    /// Features of different lengths compared.
    case featureLength(expected: Int, found: Int)
    /// A LAPACK routine failed.
    case lapack(routine: String, info: Int32)
    /// A folder or zip of images that cannot be used.
    case images(path: String, reason: String)

    public var description: String {
        switch self {
        case .inceptionWeightsNeeded(let metric):
            return "\(metric) needs Inception-v3 weights: download pytorch-fid's pt_inception-2015-12-05-6726825d.pth "
                + "(the file pytorch-fid fetches from its GitHub releases, fid_weights), convert it with "
                + "`python3 tools/convert_official.py pt_inception-2015-12-05-6726825d.pth inception.safetensors`, "
                + "and pass --inception inception.safetensors (or set SGAN_INCEPTION)"
        case .unreadableWeights(let path, let reason):
            return "\(path): not an Inception weights file (\(reason)); convert pytorch-fid's weights with tools/convert_official.py"
        case .missingTensor(let path, let name):
            return "\(path) has no tensor '\(name)': it is not pytorch-fid's Inception-v3; convert pt_inception-2015-12-05-6726825d.pth with tools/convert_official.py"
        case .tensorShape(let path, let name, let expected, let found):
            return "\(path): tensor '\(name)' has shape \(found), Inception-v3 needs \(expected)"
        case .nonFiniteTensor(let path, let name):
            return "\(path): tensor '\(name)' holds NaN or infinity"
        case .imageShape(let expected, let found):
            return "Inception-v3 takes images \(expected), got \(found)"
        case .tooFewImages(let what, let count, let needed):
            return "\(what): \(count) image(s), at least \(needed) needed"
        case .featureLength(let expected, let found):
            return "feature vectors of length \(found) where \(expected) were expected"
        case .lapack(let routine, let info):
            return "LAPACK \(routine) failed (info \(info))"
        case .images(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}
