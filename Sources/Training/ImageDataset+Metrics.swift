import Foundation
import ImageIO
import Metrics

/// A dataset's images as the reals of an Inception metric: in dataset order, as training reads them
/// (8-bit, the dataset's channels), keyed for the feature cache by the SHA-256 of its files, which
/// is computed once (a run measures at every snapshot; the files do not change under it).
public final class DatasetImages: MetricImages {
    public let dataset: ImageDataset
    private var hash: String?

    public init(_ dataset: ImageDataset) { self.dataset = dataset }

    public var name: String { dataset.name }
    public var count: Int { dataset.count }

    public func images(_ range: Range<Int>) throws -> [PNGImage] {
        let (r, c) = (dataset.resolution, dataset.channels)
        return try range.map { try PNGImage(width: r, height: r, channels: c, pixels: dataset.readablePixels(from: $0)) }
    }

    /// Folder: each file's name and bytes; zip: the archive's bytes; the built-in procedural set: its
    /// name, resolution and channels (it is a function of them).
    public func contentHash() throws -> String? {
        if let hash { return hash }
        let digest = try hashFiles()
        hash = digest
        return digest
    }

    func hashFiles() throws -> String {
        var hash = SHA256()
        hash.update(field: "resolution \(dataset.resolution) channels \(dataset.channels)")
        switch dataset {
        case let folder as FolderDataset:
            for file in folder.files {
                hash.update(field: String(file.dropFirst(folder.name.count)))
                guard let data = FileManager.default.contents(atPath: file) else { throw DatasetError.unreadableFile(path: file, stage: .hashing) }
                hash.update(data)
            }
        case is ZipDataset:
            hash.update(field: try SHA256.ofFile(dataset.name))
        default:
            hash.update(field: "\(type(of: dataset)) \(dataset.name) \(dataset.count)")
        }
        return hash.hexDigest()
    }
}
