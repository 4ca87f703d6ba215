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
    }

    /// Converts every image; the destination appears only when everything has been written.
    public func run() throws -> Report {
        guard resolution >= 4, resolution & (resolution - 1) == 0 else {
            throw DatasetError("--resolution \(resolution) is not a power of two of at least 4")
        }
        if FileManager.default.fileExists(atPath: destination) {
            throw DatasetError("--dest \(destination) already exists; choose a new path (nothing is overwritten)")
        }
        let inputs = try listInputs()
        var report = Report()
        var images: [PNGImage] = []
        for (name, data) in inputs {
            do {
                guard let data else { throw DatasetError("not a PNG file (convert it to PNG to include it)") }
                var image = try PNGImage.decode(data, name: name)
                if image.channels == 4 || image.channels == 2 { image = try PNGImage.decode(data, channels: 3, name: name) }
                if report.channels == 0 { report.channels = image.channels }
                if image.channels != report.channels {
                    image = try PNGImage.decode(data, channels: report.channels, name: name)
                }
                images.append(try square(image))
            } catch let error as DatasetError {
                report.skipped.append((name, error.message))
            } catch {
                report.skipped.append((name, "\(error)"))
            }
        }
        guard !images.isEmpty else {
            throw DatasetError("no usable images in \(source) (\(report.skipped.count) skipped\(report.skipped.first.map { "; first: \($0.0): \($0.1)" } ?? ""))")
        }
        try write(images)
        report.written = images.count
        return report
    }

    /// (name, PNG bytes or nil for a file that is not a PNG), sorted by name.
    func listInputs() throws -> [(String, Data?)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
            throw DatasetError("--source \(source) does not exist")
        }
        if !isDirectory.boolValue {
            guard source.lowercased().hasSuffix(".zip"), let archive = Archive(url: URL(fileURLWithPath: source), accessMode: .read) else {
                throw DatasetError("--source \(source) is neither a folder nor a readable .zip archive")
            }
            return try archive.filter { $0.type == .file }.sorted { $0.path < $1.path }.map { entry in
                guard entry.path.lowercased().hasSuffix(".png") else { return (entry.path, nil) }
                return (entry.path, try ZipDataset.extract(archive, entry, zip: source))
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
            return (relative, relative.lowercased().hasSuffix(".png") ? FileManager.default.contents(atPath: path) ?? Data() : nil)
        }
    }

    /// The image made square by the transform and resized to R×R.
    func square(_ image: PNGImage) throws -> PNGImage {
        var image = image
        if image.width != image.height {
            switch transform {
            case .none:
                throw DatasetError("\(image.width)x\(image.height) is not square; use --transform center-crop or pad")
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
        return try! PNGImage(width: side, height: side, channels: c, pixels: pixels)
    }

    func pad(_ image: PNGImage, side: Int) -> PNGImage {
        let c = image.channels, (x0, y0) = ((side - image.width) / 2, (side - image.height) / 2)
        var pixels = [UInt8](repeating: 0, count: side * side * c)
        for row in 0..<image.height {
            let to = ((y0 + row) * side + x0) * c
            pixels.replaceSubrange(to..<(to + image.width * c), with: image.pixels[(row * image.width * c)..<((row + 1) * image.width * c)])
        }
        return try! PNGImage(width: side, height: side, channels: c, pixels: pixels)
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

    /// Writes `00000000.png`, ... to a temporary folder or zip beside the destination, then renames it.
    func write(_ images: [PNGImage]) throws {
        let temporary = destination + ".tmp-\(getpid())"
        try? FileManager.default.removeItem(atPath: temporary)
        let folder = destination.lowercased().hasSuffix(".zip") ? temporary + "-files" : temporary
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { if folder != temporary { try? FileManager.default.removeItem(atPath: folder) } }
        for (i, image) in images.enumerated() {
            try image.write(path: (folder as NSString).appendingPathComponent(String(format: "%08d.png", i)))
        }
        if folder != temporary {
            guard let archive = Archive(url: URL(fileURLWithPath: temporary), accessMode: .create) else {
                throw DatasetError("cannot create \(temporary); check that the folder of --dest is writable")
            }
            for i in images.indices {
                let name = String(format: "%08d.png", i)
                try archive.addEntry(with: name, relativeTo: URL(fileURLWithPath: folder), compressionMethod: .none)
            }
        }
        guard rename(temporary, destination) == 0 else {
            throw DatasetError("cannot move \(temporary) to \(destination): \(String(cString: strerror(errno)))")
        }
    }
}
