import Foundation
import ImageIO

/// A numbered set of 8-bit images that features are computed from: a dataset's reals, a folder of
/// fakes, or a generator's images.
public protocol MetricImages {
    /// Where the images come from, for messages.
    var name: String { get }
    var count: Int { get }
    /// Images `range`, in order.
    func images(_ range: Range<Int>) throws -> [PNGImage]
    /// A SHA-256 of everything that decides the images (file names and bytes), for the feature
    /// cache; nil: do not cache. Sources that are measured repeatedly compute it once.
    func contentHash() throws -> String?
}

/// The PNG images of a folder, of any sizes, sorted by path (as pytorch-fid lists a folder).
public struct ImageFolder: MetricImages {
    public let name: String
    public let files: [String]

    public init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MetricsError.images(path: path, reason: "does not exist or is not a folder")
        }
        let enumerator = FileManager.default.enumerator(atPath: path)
        var files: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            if relative.lowercased().hasSuffix(".png") { files.append((path as NSString).appendingPathComponent(relative)) }
        }
        guard !files.isEmpty else {
            throw MetricsError.images(path: path, reason: "holds no .png images (other formats: convert them to PNG first)")
        }
        name = path
        self.files = files.sorted()
    }

    public var count: Int { files.count }

    public func images(_ range: Range<Int>) throws -> [PNGImage] {
        try files[range].map { file in
            do {
                return try PNGImage.read(path: file)
            } catch {
                throw MetricsError.images(path: file, reason: "\(error)")
            }
        }
    }

    public func contentHash() throws -> String? {
        var hash = SHA256()
        for file in files {
            hash.update(field: String(file.dropFirst(name.count)))
            guard let data = FileManager.default.contents(atPath: file) else {
                throw MetricsError.images(path: file, reason: "cannot be read")
            }
            hash.update(data)
        }
        return hash.hexDigest()
    }
}

extension SHA256 {
    /// The SHA-256 of a file's bytes, read in 1 MiB pieces.
    public static func ofFile(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw MetricsError.images(path: path, reason: "cannot be read")
        }
        defer { try? handle.close() }
        var hash = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hash.update(chunk) }
        return hash.hexDigest()
    }
}
