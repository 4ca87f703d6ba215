import Foundation
import ImageIO
import ZIPFoundation

/// Prepares training data the way the official `dataset_tool.py` does: every image of a folder or
/// zip, made square (centre crop or padding) and resized to R×R, written as numbered PNG files
/// to a folder or zip. Files that cannot be used are skipped with the reason.
public struct DatasetTool {
    public enum Transform: String, CaseIterable, Sendable { case none, centerCrop = "center-crop", pad }
    public enum Filter: String, CaseIterable, Sendable { case box, lanczos }

    public var source: String
    public var destination: String
    public var resolution: Int
    public var transform: Transform = .none
    /// The resize filter (official `dataset_tool.py` default: lanczos).
    public var filter: Filter = .lanczos

    public init(source: String, destination: String, resolution: Int) {
        self.source = source
        self.destination = destination
        self.resolution = resolution
    }

    public struct Report {
        public var written = 0
        public var channels = 0
        /// (file, reason) for every file left out.
        public var skipped: [(String, String)] = []
        /// What was converted, and why (colour modes).
        public var notes: [String] = []
    }

    /// The most an image may unpack to (a zip entry or a file), and the most a zip may declare in all.
    public static let entryLimit = 256 << 20
    public static let totalLimit: UInt64 = 1 << 40

    /// Converts every image, one at a time (memory holds one image, whatever the dataset's size);
    /// the destination appears only when everything has been written.
    public func run() throws -> Report {
        guard resolution >= 4, resolution <= 8192, resolution & (resolution - 1) == 0 else {
            throw DatasetError.badResolution(resolution)
        }
        if FileManager.default.fileExists(atPath: destination) {
            throw DatasetError.destinationExists(path: destination)
        }
        let inputs = try listInputs()
        var report = Report()
        // First pass, headers only: RGB when any image is colour, else gray.
        var kinds: [Int: Int] = [:]
        for input in inputs where input.isPNG {
            if let header = try? input.read(prefix: 33), let kind = DatasetTool.colourType(header) { kinds[kind, default: 0] += 1 }
        }
        let colour = kinds.filter { [2, 3, 6].contains($0.key) }.values.reduce(0, +), gray = kinds.values.reduce(0, +) - colour
        report.channels = colour > 0 ? 3 : 1
        if colour > 0 && gray > 0 {
            report.notes.append("\(gray) gray image\(gray == 1 ? "" : "s") converted to RGB (\(colour) of \(colour + gray) are colour)")
        }
        // Second pass: each image converted and written before the next is read.
        let temporary = destination + ".tmp-\(getpid())"
        try? FileManager.default.removeItem(atPath: temporary)
        let zip = destination.lowercased().hasSuffix(".zip")
        let folder = zip ? temporary + "-files" : temporary
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw DatasetError.cannotCreateFolder(path: folder, reason: describeError(error))
        }
        var names: [String] = []
        do {
            defer { if zip { try? FileManager.default.removeItem(atPath: folder) } }
            for input in inputs {
                let image: PNGImage
                do {
                    guard input.isPNG else { throw DatasetError.inputNotPNG }
                    image = try square(PNGImage.decode(try input.read(), channels: report.channels, name: input.name))
                } catch {
                    report.skipped.append((input.name, "\(error)"))
                    continue
                }
                // A file that cannot be written stops the conversion (it is not the input's fault).
                let name = String(format: "%08d.png", names.count)
                do {
                    try image.write(path: (folder as NSString).appendingPathComponent(name))
                } catch {
                    throw DatasetError.cannotWrite(path: "\(folder)/\(name)", reason: "\(error)")
                }
                names.append(name)
            }
            guard !names.isEmpty else {
                throw DatasetError.noUsableImages(source: source, skipped: report.skipped.count,
                                                 first: report.skipped.first.map { DatasetError.SkippedInput(name: $0.0, reason: $0.1) })
            }
            if zip {
                guard let archive = try? Archive(url: URL(fileURLWithPath: temporary), accessMode: .create, pathEncoding: nil) else {
                    throw DatasetError.cannotCreateArchive(path: temporary)
                }
                for name in names {
                    try archive.addEntry(with: name, relativeTo: URL(fileURLWithPath: folder), compressionMethod: .none)
                }
            }
            guard rename(temporary, destination) == 0 else {
                throw DatasetError.cannotMove(from: temporary, to: destination, reason: String(cString: strerror(errno)))
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        report.written = names.count
        return report
    }

    /// The PNG colour type of a file's first 33 bytes (0 gray, 2 RGB, 3 palette, 4 gray + alpha,
    /// 6 RGB + alpha), nil when they are not a PNG header.
    static func colourType(_ header: [UInt8]) -> Int? {
        guard header.count >= 26, header.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { return nil }
        return Int(header[25])
    }

    /// One input file, read when needed.
    struct Input {
        let name: String
        let isPNG: Bool
        /// The first `prefix` bytes (all when nil), at most `entryLimit`.
        let reader: (_ prefix: Int?) throws -> Data

        func read() throws -> Data { try reader(nil) }
        func read(prefix: Int) throws -> [UInt8] { [UInt8](try reader(prefix)) }
    }

    /// The inputs, sorted by name.
    func listInputs() throws -> [Input] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
            throw DatasetError.sourceNotFound(path: source)
        }
        if !isDirectory.boolValue {
            guard source.lowercased().hasSuffix(".zip"), let archive = try? Archive(url: URL(fileURLWithPath: source), accessMode: .read, pathEncoding: nil) else {
                throw DatasetError.unreadableSource(path: source)
            }
            let entries = archive.filter { $0.type == .file }.sorted { $0.path < $1.path }
            let declared = entries.reduce(UInt64(0)) { $0 &+ $1.uncompressedSize }
            guard declared <= DatasetTool.totalLimit else {
                throw DatasetError.sourceTooLarge(path: source, declaredBytes: declared, limitBytes: DatasetTool.totalLimit)
            }
            let source = self.source
            return entries.map { entry in
                Input(name: entry.path, isPNG: entry.path.lowercased().hasSuffix(".png")) { prefix in
                    try ZipDataset.extract(archive, entry, zip: source, prefix: prefix)
                }
            }
        }
        var files: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: source)
        while let relative = enumerator?.nextObject() as? String {
            var isDir: ObjCBool = false
            let path = (source as NSString).appendingPathComponent(relative)
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue { files.append(relative) }
        }
        return files.sorted().map { relative in
            let path = (source as NSString).appendingPathComponent(relative)
            return Input(name: relative, isPNG: relative.lowercased().hasSuffix(".png")) { prefix in
                guard let handle = FileHandle(forReadingAtPath: path) else { throw DatasetError.inputUnreadable }
                defer { try? handle.close() }
                let limit = prefix ?? DatasetTool.entryLimit
                let data = try handle.read(upToCount: limit + 1) ?? Data()
                if prefix == nil && data.count > DatasetTool.entryLimit {
                    throw DatasetError.inputTooLarge(limitBytes: DatasetTool.entryLimit)
                }
                return data.prefix(limit)
            }
        }
    }

    /// The image made square by the transform and resized to R×R.
    func square(_ image: PNGImage) throws -> PNGImage {
        var image = image
        if image.width != image.height {
            switch transform {
            case .none:
                throw DatasetError.notSquare(width: image.width, height: image.height)
            case .centerCrop:
                let side = Swift.min(image.width, image.height)
                image = crop(image, x: (image.width - side) / 2, y: (image.height - side) / 2, side: side)
            case .pad:
                image = pad(image, side: Swift.max(image.width, image.height))
            }
        }
        return image.width == resolution ? image : try resize(image, to: resolution)
    }

    func crop(_ image: PNGImage, x: Int, y: Int, side: Int) -> PNGImage {
        let c = image.channels
        var pixels = [UInt8](repeating: 0, count: side * side * c)
        for row in 0..<side {
            let from = ((y + row) * image.width + x) * c
            pixels.replaceSubrange((row * side * c)..<((row + 1) * side * c), with: image.pixels[from..<(from + side * c)])
        }
        return (try? PNGImage(width: side, height: side, channels: c, pixels: pixels)) ?? image
    }

    func pad(_ image: PNGImage, side: Int) -> PNGImage {
        let c = image.channels, (x0, y0) = ((side - image.width) / 2, (side - image.height) / 2)
        var pixels = [UInt8](repeating: 0, count: side * side * c)
        for row in 0..<image.height {
            let to = ((y0 + row) * side + x0) * c
            pixels.replaceSubrange(to..<(to + image.width * c), with: image.pixels[(row * image.width * c)..<((row + 1) * image.width * c)])
        }
        return (try? PNGImage(width: side, height: side, channels: c, pixels: pixels)) ?? image
    }

    /// Separable resampling with the filter's support widened by the down-scaling factor (as PIL does).
    func resize(_ image: PNGImage, to size: Int) throws -> PNGImage {
        let c = image.channels
        func weights(from n: Int) -> [[(Int, Double)]] {
            let scale = Double(n) / Double(size), stretch = Swift.max(scale, 1)
            let support = (filter == .box ? 0.5 : 3) * stretch
            return (0..<size).map { o in
                let centre = (Double(o) + 0.5) * scale
                var taps: [(Int, Double)] = []
                for i in Swift.max(0, Int((centre - support).rounded(.down)))..<Swift.min(n, Int((centre + support).rounded(.up)) + 1) {
                    let t = (Double(i) + 0.5 - centre) / stretch
                    let w: Double
                    if filter == .box {
                        w = (t >= -0.5 && t < 0.5) ? 1 : 0
                    } else {
                        w = t == 0 ? 1 : Swift.abs(t) >= 3 ? 0 : 3 * sin(.pi * t) * sin(.pi * t / 3) / (.pi * .pi * t * t)
                    }
                    if w != 0 { taps.append((i, w)) }
                }
                let total = taps.reduce(0) { $0 + $1.1 }
                return taps.map { ($0.0, $0.1 / total) }
            }
        }
        let (horizontal, vertical) = (weights(from: image.width), weights(from: image.height))
        var rows = [Double](repeating: 0, count: image.height * size * c)
        for y in 0..<image.height {
            for (x, taps) in horizontal.enumerated() {
                for ch in 0..<c {
                    rows[(y * size + x) * c + ch] = taps.reduce(0) { $0 + $1.1 * Double(image.pixels[(y * image.width + $1.0) * c + ch]) }
                }
            }
        }
        var pixels = [UInt8](repeating: 0, count: size * size * c)
        for (y, taps) in vertical.enumerated() {
            for x in 0..<size {
                for ch in 0..<c {
                    let v = taps.reduce(0) { $0 + $1.1 * rows[($1.0 * size + x) * c + ch] }
                    pixels[(y * size + x) * c + ch] = UInt8(Swift.min(Swift.max(v.rounded(), 0), 255))
                }
            }
        }
        return try PNGImage(width: size, height: size, channels: c, pixels: pixels)
    }
}
