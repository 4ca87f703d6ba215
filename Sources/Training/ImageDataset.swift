import Foundation
import ImageIO
import ZIPFoundation

/// A set of square 8-bit images of one size: what training reads.
public protocol ImageDataset: AnyObject, Sendable {
    /// Where the images come from (a path, or `procedural`).
    var name: String { get }
    var count: Int { get }
    /// Width and height, a power of two.
    var resolution: Int { get }
    /// 1 (gray) or 3 (RGB).
    var channels: Int { get }
    /// Image `index`, rows top to bottom, channels interleaved (HWC).
    func pixels(at index: Int) throws -> [UInt8]
    /// What the loader converts, said once when training starts.
    var notes: [String] { get }
}

/// Planar floats `[C, R, R]` from interleaved 8-bit pixels `[R, R, C]`: `p / divisor + offset`
/// (training's `x / 127.5 − 1`), mirrored left to right with `flip`.
func planarFloats(_ pixels: [UInt8], resolution r: Int, channels c: Int, divisor: Float = 1, offset: Float = 0,
                  flip: Bool = false) -> [Float] {
    var out = [Float](repeating: 0, count: c * r * r)
    for y in 0..<r {
        for x in 0..<r {
            let source = (y * r + (flip ? r - 1 - x : x)) * c
            for ch in 0..<c { out[(ch * r + y) * r + x] = Float(pixels[source + ch]) / divisor + offset }
        }
    }
    return out
}

extension ImageDataset {
    public var notes: [String] { [] }
}

/// A dataset that cannot be used: where, what is wrong, and what to do.
public struct DatasetError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ImageDataset {
    /// Image `index`, or the next one that can be read (a run does not die on one bad file);
    /// `skipping` hears of each image passed over. Throws after 64 unreadable images in a row.
    public func readablePixels(from index: Int, skipping: (Int, Error) -> Void = { _, _ in }) throws -> [UInt8] {
        var firstError: Error? = nil
        for attempt in 0..<Swift.min(count, 64) {
            let i = (index + attempt) % count
            do {
                return try pixels(at: i)
            } catch {
                firstError = firstError ?? error
                skipping(i, error)
            }
        }
        throw DatasetError("64 images in a row could not be read; the first: \(firstError.map { "\($0)" } ?? "none")")
    }
}

/// The checks every dataset makes of its first image, and of each later one as it is read.
struct ImageFormat {
    let resolution: Int
    let channels: Int

    /// The format of `image` (gray stays 1 channel; colour becomes RGB), or an error naming `source`.
    static func of(_ image: PNGImage, source: String) throws -> ImageFormat {
        guard image.width == image.height, image.width >= 4, image.width & (image.width - 1) == 0 else {
            throw DatasetError("\(source) is \(image.width)x\(image.height): training needs square images whose size is a power of two; prepare the folder with `sgan-gpu dataset --resolution R`")
        }
        return ImageFormat(resolution: image.width, channels: image.channels == 1 ? 1 : 3)
    }

    /// The pixels of PNG `data` in this format, or an error naming `source`.
    func decode(_ data: Data, source: String) throws -> [UInt8] {
        let image: PNGImage
        do {
            image = try PNGImage.decode(data, channels: channels, name: source)
        } catch {
            throw DatasetError("\(error); remove or replace the file, or prepare the folder with `sgan-gpu dataset`")
        }
        guard image.width == resolution, image.height == resolution else {
            throw DatasetError("\(source) is \(image.width)x\(image.height) while the dataset's images are \(resolution)x\(resolution); prepare the folder with `sgan-gpu dataset --resolution \(resolution)`")
        }
        return image.pixels
    }
}

/// PNG files in a folder (sorted by name, subfolders included).
public final class FolderDataset: ImageDataset {
    public let name: String
    public let files: [String]
    public let resolution: Int
    public let channels: Int
    public let notes: [String]
    let format: ImageFormat

    public init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DatasetError("dataset \(path) does not exist or is not a folder; give a folder or a .zip of PNG images")
        }
        let enumerator = FileManager.default.enumerator(atPath: path)
        var files: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            if relative.lowercased().hasSuffix(".png") { files.append((path as NSString).appendingPathComponent(relative)) }
        }
        files.sort()
        guard let first = files.first else {
            throw DatasetError("dataset \(path) holds no .png images; convert images with `sgan-gpu dataset --source ... --dest \(path)`")
        }
        name = path
        self.files = files
        let kinds = try FolderDataset.checkHeaders(files, folder: path)
        guard let data = FileManager.default.contents(atPath: first) else { throw DatasetError("cannot read \(first)") }
        let image: PNGImage
        do { image = try PNGImage.decode(data, name: first) } catch { throw DatasetError("\(error); remove or replace the file") }
        format = try ImageFormat.of(image, source: first)
        (resolution, channels) = (format.resolution, format.channels)
        let target = channels == 1 ? "gray" : "RGB"
        notes = kinds.filter { $0.key != target }.sorted { $0.key < $1.key }.map { kind, count in
            "\(count) \(kind) image\(count == 1 ? "" : "s") converted to 8-bit \(target) on load"
                + (kind.contains("alpha") ? " (alpha composited onto black)" : "")
        }
    }

    public var count: Int { files.count }

    /// Reads every file's PNG header (33 bytes) and refuses a folder whose images are not all of one
    /// size (the `dataset` command prepares such folders). Returns how many images of each kind
    /// (`RGB`, `gray`, `palette`, `16-bit RGB`, `RGB with alpha`, ...) there are.
    static func checkHeaders(_ files: [String], folder: String) throws -> [String: Int] {
        var sizes: [String: (Int, String)] = [:]
        var kinds: [String: Int] = [:]
        for file in files {
            guard let handle = FileHandle(forReadingAtPath: file) else { throw DatasetError("cannot read \(file) (check its permissions)") }
            let header = [UInt8](handle.readData(ofLength: 33))
            try? handle.close()
            guard header.count == 33, header.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
                throw DatasetError("\(file) is not a PNG file (it ends in .png); remove it or prepare the folder with `sgan-gpu dataset`")
            }
            func int(_ at: Int) -> Int { header[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
            let key = "\(int(16))x\(int(20))"
            if let (count, example) = sizes[key] { sizes[key] = (count + 1, example) } else { sizes[key] = (1, file) }
            let (depth, colour) = (header[24], header[25])
            var kind = [0: "gray", 2: "RGB", 3: "palette", 4: "gray with alpha", 6: "RGB with alpha"][Int(colour)] ?? "colour type \(colour)"
            if depth == 16 { kind = "16-bit " + kind } else if depth < 8 { kind = "\(depth)-bit " + kind }
            kinds[kind, default: 0] += 1
        }
        if sizes.count > 1 {
            let listed = sizes.sorted { ($0.value.0, $1.key) > ($1.value.0, $0.key) }.map { "\($0.value.0) of \($0.key) (e.g. \($0.value.1))" }.joined(separator: ", ")
            throw DatasetError("dataset \(folder) mixes image sizes: \(listed); make them one size with `sgan-gpu dataset --source \(folder) --dest NEW --resolution R`")
        }
        return kinds
    }

    public func pixels(at index: Int) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: files[index]) else {
            throw DatasetError("cannot read \(files[index]) (it was there when training started)")
        }
        return try format.decode(data, source: files[index])
    }
}

/// PNG entries of a zip archive (sorted by name).
public final class ZipDataset: ImageDataset, @unchecked Sendable {  // the archive is read under `lock`
    public let name: String
    public let resolution: Int
    public let channels: Int
    let archive: Archive
    let entries: [Entry]
    let format: ImageFormat
    let lock = NSLock()

    public init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw DatasetError("dataset \(path) does not exist") }
        guard let archive = try? Archive(url: URL(fileURLWithPath: path), accessMode: .read, pathEncoding: nil) else {
            throw DatasetError("dataset \(path) is not a readable zip archive")
        }
        self.archive = archive
        entries = archive.filter { $0.type == .file && $0.path.lowercased().hasSuffix(".png") }.sorted { $0.path < $1.path }
        name = path
        guard let first = entries.first else { throw DatasetError("dataset \(path) holds no .png images") }
        let data = try ZipDataset.extract(archive, first, zip: path)
        let image: PNGImage
        do { image = try PNGImage.decode(data, name: "\(path):\(first.path)") } catch { throw DatasetError("\(error); remove the entry or rebuild the archive") }
        format = try ImageFormat.of(image, source: "\(path):\(first.path)")
        (resolution, channels) = (format.resolution, format.channels)
    }

    /// The bytes of `entry`, streamed: at most `DatasetTool.entryLimit`, declared or actual (an
    /// entry that unpacks to more is refused as it is read, not after); with `prefix`, only the
    /// first `prefix` bytes.
    static func extract(_ archive: Archive, _ entry: Entry, zip: String, prefix: Int? = nil) throws -> Data {
        let limit = DatasetTool.entryLimit
        if prefix == nil && entry.uncompressedSize > UInt64(limit) {
            throw DatasetError("\(zip):\(entry.path) declares \(entry.uncompressedSize >> 20) MiB unpacked, over the \(limit >> 20) MiB one image may take; remove the entry or rebuild the archive")
        }
        struct Enough: Error {}
        struct TooLarge: Error {}
        var data = Data()
        do {
            _ = try archive.extract(entry, skipCRC32: prefix != nil) { chunk in
                data.append(chunk)
                if let prefix, data.count >= prefix { throw Enough() }
                if data.count > limit { throw TooLarge() }
            }
        } catch is Enough {
            return data.prefix(prefix!)
        } catch is TooLarge {
            throw DatasetError("\(zip):\(entry.path) unpacks to more than \(limit >> 20) MiB although it declares \(entry.uncompressedSize) bytes (a zip bomb or a damaged archive); remove the entry or rebuild the archive")
        } catch {
            throw DatasetError("\(zip):\(entry.path) cannot be extracted (\(describeError(error))); rebuild the archive")
        }
        return data
    }

    public var count: Int { entries.count }

    public func pixels(at index: Int) throws -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        return try format.decode(try ZipDataset.extract(archive, entries[index], zip: name), source: "\(name):\(entries[index].path)")
    }
}

/// Opens a folder or a `.zip` of PNG images.
public func openDataset(_ path: String) throws -> ImageDataset {
    path.lowercased().hasSuffix(".zip") ? try ZipDataset(path: path) : try FolderDataset(path: path)
}
