import Foundation
import ImageIO
import Testing

@Suite struct PNGImageTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sgan-png-\(getpid())")

    init() throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    @Test(arguments: [1, 3, 4])
    func roundTrip(channels: Int) throws {
        let (width, height) = (7, 5)
        let pixels = (0..<(width * height * channels)).map { UInt8(($0 * 37) % 256) }
        let image = try PNGImage(width: width, height: height, channels: channels, pixels: pixels)
        // A folder per case: the cases run in parallel, and another's temporary file must not count.
        let caseFolder = folder.appendingPathComponent("round-trip-\(channels)")
        try FileManager.default.createDirectory(at: caseFolder, withIntermediateDirectories: true)
        let path = caseFolder.appendingPathComponent("image.png").path
        try image.write(path: path)
        #expect(try PNGImage.read(path: path) == image)
        // No temporary file is left beside it.
        let names = try FileManager.default.contentsOfDirectory(atPath: caseFolder.path)
        #expect(!names.contains { $0.contains(".tmp-") })
    }

    @Test func convertsOnRead() throws {
        let gray = try PNGImage(width: 2, height: 1, channels: 1, pixels: [0, 255])
        let path = folder.appendingPathComponent("gray.png").path
        try gray.write(path: path)
        let rgb = try PNGImage.read(path: path, channels: 3)
        #expect(rgb.channels == 3)
        #expect(rgb.pixels == [0, 0, 0, 255, 255, 255])
    }

    @Test func badInputSaysWhatIsWrong() throws {
        let path = folder.appendingPathComponent("not-a-png.png").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        let refused = #expect(throws: PNGError.self) { _ = try PNGImage.read(path: path) }
        if case .libpng(let file, _)? = refused { #expect(file == path) } else { Issue.record("not libpng's refusal: \(String(describing: refused))") }
        let missing = folder.appendingPathComponent("missing.png").path
        #expect(throws: PNGError.unreadableFile(path: missing)) { _ = try PNGImage.read(path: missing) }
        #expect(throws: PNGError.pixelCount(bytes: 3, width: 2, height: 2, channels: 3)) {
            _ = try PNGImage(width: 2, height: 2, channels: 3, pixels: [1, 2, 3])
        }
        #expect(throws: PNGError.unsupportedChannels(2)) { _ = try PNGImage(width: 1, height: 1, channels: 2, pixels: [1, 2]) }
    }
}
