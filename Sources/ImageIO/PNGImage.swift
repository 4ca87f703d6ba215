import CPNG
import Foundation

/// An 8-bit image in memory: rows top to bottom, channels interleaved (gray, RGB or RGBA).
public struct PNGImage: Equatable {
    public var width: Int
    public var height: Int
    /// 1 (gray), 3 (RGB) or 4 (RGBA).
    public var channels: Int
    /// `height * width * channels` bytes.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws {
        guard [1, 3, 4].contains(channels) else {
            throw PNGError.unsupportedChannels(channels)
        }
        guard width > 0, height > 0, pixels.count == width * height * channels else {
            throw PNGError.pixelCount(bytes: pixels.count, width: width, height: height, channels: channels)
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    static func format(channels: Int) -> png_uint_32 {
        switch channels {
        case 1: return sgan_png_format_gray
        case 3: return sgan_png_format_rgb
        default: return sgan_png_format_rgba
        }
    }

    /// Reads a PNG file, converted to `channels` channels (nil keeps gray as 1, colour as 3, alpha as 4).
    public static func read(path: String, channels: Int? = nil) throws -> PNGImage {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PNGError.unreadableFile(path: path)
        }
        return try decode(data, channels: channels, name: path)
    }

    /// Decodes PNG bytes, converted to `channels` channels (nil keeps the file's own layout).
    public static func decode(_ data: Data, channels: Int? = nil, name: String? = nil) throws -> PNGImage {
        var image = png_image()
        image.version = sgan_png_image_version
        let began = data.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard began != 0 else { throw PNGError.libpng(path: name, message: message(of: &image)) }
        defer { png_image_free(&image) }
        let stored = image.format
        let own = (stored & 0x01 != 0 ? 1 : 0) + (stored & 0x02 != 0 ? 3 : 1)  // alpha flag + colour flag
        let want = channels ?? (own == 2 ? 4 : own)
        guard [1, 3, 4].contains(want) else { throw PNGError.cannotConvert(path: name, channels: want) }
        image.format = format(channels: want)
        let (width, height) = (Int(image.width), Int(image.height))
        // Refuse sizes that would need gigabytes before allocating (a corrupt header can claim 2^31 × 2^31).
        guard width > 0, height > 0, width <= 1 << 16, height <= 1 << 16, width * height * want <= 1 << 30 else {
            throw PNGError.tooLarge(path: name, width: width, height: height)
        }
        var pixels = [UInt8](repeating: 0, count: sgan_png_image_size(&image))
        let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard finished != 0, sgan_png_image_failed(&image) == 0 else {
            throw PNGError.libpng(path: name, message: message(of: &image))
        }
        return try PNGImage(width: width, height: height, channels: want, pixels: pixels)
    }

    /// Writes the image as a PNG file: to a temporary file first, then renamed, so a reader
    /// never sees half a file.
    public func write(path: String) throws {
        var image = png_image()
        image.version = sgan_png_image_version
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = PNGImage.format(channels: channels)
        let temporary = path + ".tmp-\(getpid())"
        let written = pixels.withUnsafeBytes {
            png_image_write_to_file(&image, temporary, 0, $0.baseAddress, 0, nil)
        }
        guard written != 0 else {
            let text = PNGImage.message(of: &image)
            try? FileManager.default.removeItem(atPath: temporary)
            throw PNGError.libpng(path: path, message: text)
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw PNGError.renameFailed(path: path, reason: reason)
        }
    }

    static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

/// A PNG that could not be made, read or written: the file (nil for an image in memory) and what
/// is wrong.
public enum PNGError: Error, CustomStringConvertible, Equatable {
    /// A channel count other than 1, 3 or 4.
    case unsupportedChannels(Int)
    /// Pixel bytes that do not fill a `width`×`height` image of `channels` channels (or a size below 1).
    case pixelCount(bytes: Int, width: Int, height: Int, channels: Int)
    /// The file cannot be read.
    case unreadableFile(path: String)
    /// libpng refused the data or the file, with its message.
    case libpng(path: String?, message: String)
    /// A conversion to a channel count other than 1, 3 or 4.
    case cannotConvert(path: String?, channels: Int)
    /// A header claiming an image over 65536×65536 or 1 GiB.
    case tooLarge(path: String?, width: Int, height: Int)
    /// The written temporary file cannot be renamed onto the file.
    case renameFailed(path: String, reason: String)

    /// The file the error is about, if any.
    public var path: String? {
        switch self {
        case .unsupportedChannels, .pixelCount: return nil
        case .unreadableFile(let path), .renameFailed(let path, _): return path
        case .libpng(let path, _), .cannotConvert(let path, _), .tooLarge(let path, _, _): return path
        }
    }

    /// What is wrong, after `PNG: `.
    public var message: String {
        switch self {
        case .unsupportedChannels(let channels):
            return "\(channels) channels; PNG images here have 1, 3 or 4"
        case .pixelCount(let bytes, let width, let height, let channels):
            return "\(bytes) bytes for a \(width)x\(height) image of \(channels) channels"
        case .unreadableFile:
            return "cannot read the file"
        case .libpng(_, let message):
            return message
        case .cannotConvert(_, let channels):
            return "cannot convert to \(channels) channels"
        case .tooLarge(_, let width, let height):
            return "claims a \(width)x\(height) image, larger than this loader accepts (65536x65536, 1 GiB)"
        case .renameFailed(_, let reason):
            return "cannot move the written file into place: \(reason)"
        }
    }

    public var description: String {
        (path.map { "\($0): " } ?? "") + "PNG: \(message)"
    }
}
