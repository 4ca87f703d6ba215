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

/// A dataset that cannot be used, or an image the `dataset` command cannot convert: each case
/// carries where and what is wrong; the description adds what to do.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    /// When a file was read.
    public enum Stage: Sendable, Equatable {
        /// Opening a folder dataset: its first image.
        case opening
        /// Opening a folder dataset: each file's PNG header.
        case checkingHeaders
        /// Opening a zip dataset: its first entry.
        case openingArchive
        /// Reading an image of an open dataset (during training).
        case reading
        /// Hashing a folder's files (the key of cached statistics).
        case hashing
    }

    /// Images of one size in a folder of several: `size` (`WxH`), how many, and one of them.
    public struct SizeGroup: Sendable, Equatable {
        public var size: String
        public var count: Int
        public var example: String
        public init(size: String, count: Int, example: String) { (self.size, self.count, self.example) = (size, count, example) }
    }

    /// An input the `dataset` command left out, and why.
    public struct SkippedInput: Sendable, Equatable {
        public var name: String
        public var reason: String
        public init(name: String, reason: String) { (self.name, self.reason) = (name, reason) }
    }

    // Datasets (training, metrics).
    /// A folder dataset path that is no folder.
    case notAFolder(path: String)
    /// A zip dataset path that does not exist.
    case notFound(path: String)
    /// A zip dataset that cannot be opened as an archive.
    case notAZipArchive(path: String)
    /// A folder or zip without PNG images.
    case noImages(path: String, archive: Bool)
    /// A folder of images of several sizes.
    case mixedSizes(path: String, sizes: [SizeGroup])
    /// A file named .png that is no PNG.
    case notPNG(path: String)
    /// A file that cannot be read.
    case unreadableFile(path: String, stage: Stage)
    /// A PNG file or entry libpng refuses (the `PNGError` names it).
    case undecodableImage(PNGError, stage: Stage)
    /// A first image that is not square or whose size is not a power of two.
    case unsuitableSize(source: String, width: Int, height: Int)
    /// An image of another size than the dataset's.
    case sizeChanged(source: String, width: Int, height: Int, resolution: Int)
    /// `count` images in a row that could not be read; `first`: the first one's error.
    case unreadableRun(count: Int, first: String?)
    /// A zip entry declaring more bytes than one image may take.
    case entryTooLarge(archive: String, entry: String, declaredBytes: UInt64, limitBytes: Int)
    /// A zip entry unpacking to more bytes than one image may take.
    case entryUnpacksTooLarge(archive: String, entry: String, declaredBytes: UInt64, limitBytes: Int)
    /// A zip entry that cannot be extracted.
    case unextractableEntry(archive: String, entry: String, reason: String)

    // The `dataset` command.
    /// A `--resolution` that is not a power of two from 4 to 8192.
    case badResolution(Int)
    /// A `--dest` that exists.
    case destinationExists(path: String)
    /// A `--source` that does not exist.
    case sourceNotFound(path: String)
    /// A `--source` that is neither a folder nor a readable zip.
    case unreadableSource(path: String)
    /// A `--source` zip declaring more bytes than the tool reads.
    case sourceTooLarge(path: String, declaredBytes: UInt64, limitBytes: UInt64)
    /// An input that is not a PNG file (a reason for skipping it).
    case inputNotPNG
    /// An input file that cannot be read (a reason for skipping it).
    case inputUnreadable
    /// An input file over the size the tool reads for one image (a reason for skipping it).
    case inputTooLarge(limitBytes: Int)
    /// An input image that is not square, with no transform given (a reason for skipping it).
    case notSquare(width: Int, height: Int)
    /// No input could be converted.
    case noUsableImages(source: String, skipped: Int, first: SkippedInput?)
    /// The output folder cannot be created.
    case cannotCreateFolder(path: String, reason: String)
    /// The output zip cannot be created.
    case cannotCreateArchive(path: String)
    /// A converted image cannot be written.
    case cannotWrite(path: String, reason: String)
    /// The finished output cannot be moved into place.
    case cannotMove(from: String, to: String, reason: String)

    public var description: String {
        let prepare = "prepare the folder with `sgan-gpu dataset`"
        switch self {
        case .notAFolder(let path):
            return "dataset \(path) does not exist or is not a folder; give a folder or a .zip of PNG images"
        case .notFound(let path):
            return "dataset \(path) does not exist"
        case .notAZipArchive(let path):
            return "dataset \(path) is not a readable zip archive"
        case .noImages(let path, let archive):
            return "dataset \(path) holds no .png images" + (archive ? "" : "; convert images with `sgan-gpu dataset --source ... --dest \(path)`")
        case .mixedSizes(let path, let sizes):
            let listed = sizes.map { "\($0.count) of \($0.size) (e.g. \($0.example))" }.joined(separator: ", ")
            return "dataset \(path) mixes image sizes: \(listed); make them one size with `sgan-gpu dataset --source \(path) --dest NEW --resolution R`"
        case .notPNG(let path):
            return "\(path) is not a PNG file (it ends in .png); remove it or \(prepare)"
        case .unreadableFile(let path, let stage):
            switch stage {
            case .opening, .openingArchive: return "cannot read \(path)"
            case .checkingHeaders: return "cannot read \(path) (check its permissions)"
            case .reading: return "cannot read \(path) (it was there when training started)"
            case .hashing: return "\(path) cannot be read"
            }
        case .undecodableImage(let error, let stage):
            switch stage {
            case .opening: return "\(error); remove or replace the file"
            case .openingArchive: return "\(error); remove the entry or rebuild the archive"
            case .checkingHeaders, .reading, .hashing: return "\(error); remove or replace the file, or \(prepare)"
            }
        case .unsuitableSize(let source, let width, let height):
            return "\(source) is \(width)x\(height): training needs square images whose size is a power of two; prepare the folder with `sgan-gpu dataset --resolution R`"
        case .sizeChanged(let source, let width, let height, let resolution):
            return "\(source) is \(width)x\(height) while the dataset's images are \(resolution)x\(resolution); prepare the folder with `sgan-gpu dataset --resolution \(resolution)`"
        case .unreadableRun(let count, let first):
            return "\(count) images in a row could not be read; the first: \(first ?? "none")"
        case .entryTooLarge(let archive, let entry, let declared, let limit):
            return "\(archive):\(entry) declares \(declared >> 20) MiB unpacked, over the \(limit >> 20) MiB one image may take; remove the entry or rebuild the archive"
        case .entryUnpacksTooLarge(let archive, let entry, let declared, let limit):
            return "\(archive):\(entry) unpacks to more than \(limit >> 20) MiB although it declares \(declared) bytes (a zip bomb or a damaged archive); remove the entry or rebuild the archive"
        case .unextractableEntry(let archive, let entry, let reason):
            return "\(archive):\(entry) cannot be extracted (\(reason)); rebuild the archive"
        case .badResolution(let resolution):
            return "--resolution \(resolution) is not a power of two from 4 to 8192"
        case .destinationExists(let path):
            return "--dest \(path) already exists; choose a new path (nothing is overwritten)"
        case .sourceNotFound(let path):
            return "--source \(path) does not exist"
        case .unreadableSource(let path):
            return "--source \(path) is neither a folder nor a readable .zip archive"
        case .sourceTooLarge(let path, let declared, let limit):
            return "--source \(path) declares \(declared >> 30) GiB unpacked, over the \(limit >> 30) GiB this tool reads from one archive (a zip bomb or a damaged archive)"
        case .inputNotPNG:
            return "not a PNG file (convert it to PNG to include it)"
        case .inputUnreadable:
            return "cannot be read (check its permissions)"
        case .inputTooLarge(let limit):
            return "is larger than \(limit >> 20) MiB, more than this tool reads for one image"
        case .notSquare(let width, let height):
            return "\(width)x\(height) is not square; use --transform center-crop or pad"
        case .noUsableImages(let source, let skipped, let first):
            return "no usable images in \(source) (\(skipped) skipped\(first.map { "; first: \($0.name): \($0.reason)" } ?? ""))"
        case .cannotCreateFolder(let path, let reason):
            return "cannot create \(path) (\(reason)); check that the folder of --dest exists and is writable"
        case .cannotCreateArchive(let path):
            return "cannot create \(path); check that the folder of --dest is writable"
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason); free space on that disk and run again"
        case .cannotMove(let from, let to, let reason):
            return "cannot move \(from) to \(to): \(reason)"
        }
    }
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
        throw DatasetError.unreadableRun(count: 64, first: firstError.map { "\($0)" })
    }
}

/// The checks every dataset makes of its first image, and of each later one as it is read.
struct ImageFormat {
    let resolution: Int
    let channels: Int

    /// The format of `image` (gray stays 1 channel; colour becomes RGB), or an error naming `source`.
    static func of(_ image: PNGImage, source: String) throws -> ImageFormat {
        guard image.width == image.height, image.width >= 4, image.width & (image.width - 1) == 0 else {
            throw DatasetError.unsuitableSize(source: source, width: image.width, height: image.height)
        }
        return ImageFormat(resolution: image.width, channels: image.channels == 1 ? 1 : 3)
    }

    /// The pixels of PNG `data` in this format, or an error naming `source`.
    func decode(_ data: Data, source: String) throws -> [UInt8] {
        let image: PNGImage
        do {
            image = try PNGImage.decode(data, channels: channels, name: source)
        } catch let error as PNGError {
            throw DatasetError.undecodableImage(error, stage: .reading)
        }
        guard image.width == resolution, image.height == resolution else {
            throw DatasetError.sizeChanged(source: source, width: image.width, height: image.height, resolution: resolution)
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
            throw DatasetError.notAFolder(path: path)
        }
        let enumerator = FileManager.default.enumerator(atPath: path)
        var files: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            if relative.lowercased().hasSuffix(".png") { files.append((path as NSString).appendingPathComponent(relative)) }
        }
        files.sort()
        guard let first = files.first else {
            throw DatasetError.noImages(path: path, archive: false)
        }
        name = path
        self.files = files
        let kinds = try FolderDataset.checkHeaders(files, folder: path)
        guard let data = FileManager.default.contents(atPath: first) else { throw DatasetError.unreadableFile(path: first, stage: .opening) }
        let image: PNGImage
        do { image = try PNGImage.decode(data, name: first) } catch let error as PNGError { throw DatasetError.undecodableImage(error, stage: .opening) }
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
            guard let handle = FileHandle(forReadingAtPath: file) else { throw DatasetError.unreadableFile(path: file, stage: .checkingHeaders) }
            let header = [UInt8](handle.readData(ofLength: 33))
            try? handle.close()
            guard header.count == 33, header.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
                throw DatasetError.notPNG(path: file)
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
            let groups = sizes.sorted { ($0.value.0, $1.key) > ($1.value.0, $0.key) }.map { DatasetError.SizeGroup(size: $0.key, count: $0.value.0, example: $0.value.1) }
            throw DatasetError.mixedSizes(path: folder, sizes: groups)
        }
        return kinds
    }

    public func pixels(at index: Int) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: files[index]) else {
            throw DatasetError.unreadableFile(path: files[index], stage: .reading)
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
        guard FileManager.default.fileExists(atPath: path) else { throw DatasetError.notFound(path: path) }
        guard let archive = try? Archive(url: URL(fileURLWithPath: path), accessMode: .read, pathEncoding: nil) else {
            throw DatasetError.notAZipArchive(path: path)
        }
        self.archive = archive
        entries = archive.filter { $0.type == .file && $0.path.lowercased().hasSuffix(".png") }.sorted { $0.path < $1.path }
        name = path
        guard let first = entries.first else { throw DatasetError.noImages(path: path, archive: true) }
        let data = try ZipDataset.extract(archive, first, zip: path)
        let image: PNGImage
        do { image = try PNGImage.decode(data, name: "\(path):\(first.path)") } catch let error as PNGError { throw DatasetError.undecodableImage(error, stage: .openingArchive) }
        format = try ImageFormat.of(image, source: "\(path):\(first.path)")
        (resolution, channels) = (format.resolution, format.channels)
    }

    /// The bytes of `entry`, streamed: at most `DatasetTool.entryLimit`, declared or actual (an
    /// entry that unpacks to more is refused as it is read, not after); with `prefix`, only the
    /// first `prefix` bytes.
    static func extract(_ archive: Archive, _ entry: Entry, zip: String, prefix: Int? = nil) throws -> Data {
        let limit = DatasetTool.entryLimit
        if prefix == nil && entry.uncompressedSize > UInt64(limit) {
            throw DatasetError.entryTooLarge(archive: zip, entry: entry.path, declaredBytes: entry.uncompressedSize, limitBytes: limit)
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
            throw DatasetError.entryUnpacksTooLarge(archive: zip, entry: entry.path, declaredBytes: entry.uncompressedSize, limitBytes: limit)
        } catch {
            throw DatasetError.unextractableEntry(archive: zip, entry: entry.path, reason: describeError(error))
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
