import Foundation
import Networks
import Tensors
import Testing
@testable import Training

/// The run folder's lock and writer, and the limits a run checks before it allocates.
@Suite struct RunFolderTests {
    /// A second owner of a folder is refused while the first holds it, and admitted after.
    @Test func oneWriterPerFolder() throws {
        let url = URL(fileURLWithPath: try temporaryFolder("lock"))
        var first: RunFolder? = try RunFolder(locking: url)
        #expect { try RunFolder(locking: url) } throws: { error in
            guard case RunFolderError.inUse(_, let pid) = error else { return false }
            return pid == getpid()
        }
        first = nil
        #expect(throws: Never.self) { _ = try RunFolder(locking: url) }
        withExtendedLifetime(first) {}
    }

    /// Numbering with mkdir: two folders created one after the other never share a number.
    @Test func numberingNeverReusesAFolder() throws {
        let outdir = try temporaryFolder("numbers")
        let a = try RunFolder.create(outdir: outdir, suffix: "x"), b = try RunFolder.create(outdir: outdir, suffix: "x")
        #expect(a.url.lastPathComponent == "00000-x" && b.url.lastPathComponent == "00001-x")
    }

    /// A write that fails (here /dev/full: ENOSPC) throws one error naming the file and the cause,
    /// and leaves no partial line in a file that had room before.
    @Test func aFullDiskFailsCleanly() throws {
        let folder = try RunFolder(locking: URL(fileURLWithPath: try temporaryFolder("full")))
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/stats.jsonl", withDestinationPath: "/dev/full")
        #expect { try folder.appendLine("{\"a\": 1}", to: "stats.jsonl") } throws: { error in
            guard case RunFolderError.cannotWrite(let path, let reason) = error else { return false }
            return path == folder.path + "/stats.jsonl" && reason == String(cString: strerror(ENOSPC))
        }
        try folder.appendLine("one", to: "log.txt")
        try folder.appendLine("two", to: "log.txt")
        #expect(try String(contentsOfFile: folder.path + "/log.txt", encoding: .utf8) == "one\ntwo\n")
    }

    /// Leftover temporary files of a killed writer go at the next start.
    @Test func leftoversAreRemoved() throws {
        let folder = try RunFolder(locking: URL(fileURLWithPath: try temporaryFolder("leftovers")))
        _ = FileManager.default.createFile(atPath: folder.path + "/network-snapshot-000004.safetensors.tmp-12345", contents: Data([1]))
        _ = FileManager.default.createFile(atPath: folder.path + "/log.txt", contents: Data())
        folder.removeLeftovers()
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == [".lock", "log.txt"])
    }

    @Test func snapshotNamesKeepSubKimgTicksApart() {
        #expect(TrainingRun.kimgName(nimg: 4) == "000000" && TrainingRun.kimgName(nimg: 41_256) == "000041")
        #expect(TrainingRun.kimgName(nimg: 12, taken: { $0 == "000000" }) == "000000.012")
        #expect(TrainingRun.kimgName(nimg: 41_256, taken: { _ in true }) == "000041.256")
    }

    /// A configuration that cannot fit is refused before anything is allocated, with the estimate.
    @Test func runsTooLargeForTheDeviceAreRefused() throws {
        var options = tinyOptions(kimg: 1)
        (options.channelBase, options.channelMax, options.latentSize) = (1 << 20, 16384, 16384)
        options.proceduralResolution = 256
        let error = #expect(throws: TrainingError.self) {
            try TrainingRun(options: options, outdir: try temporaryFolder("huge"), resume: nil, device: .cpu)
        }
        if case .notEnoughMemory(let needed, let available, let device)? = error {
            #expect(needed > available && available > 0 && device == "\(Device.cpu)")
        } else {
            Issue.record("not a lack of memory: \(String(describing: error))")
        }
    }
}
