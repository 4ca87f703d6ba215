import Foundation

/// A run folder owned by one process for the run's life: an exclusive lock (`flock` on `.lock`,
/// which records the holder's PID), numbering that never hands one folder to two runs, and writes
/// that fail with one clear error instead of leaving half a line or half a file.
final class RunFolder {
    let url: URL
    /// The open lock file; closing it (when the run ends or the process dies) releases the lock.
    private let lockDescriptor: Int32

    var path: String { url.path }

    /// Takes the lock of the existing folder `url`; refuses when another process holds it.
    init(locking url: URL) throws {
        self.url = url
        let lockPath = url.appendingPathComponent(".lock").path
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunFolderError.cannotWrite(path: lockPath, reason: String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var bytes = [UInt8](repeating: 0, count: 32)
            let count = pread(fd, &bytes, bytes.count, 0)
            close(fd)
            let holder = Int32(String(decoding: bytes.prefix(Swift.max(count, 0)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            throw RunFolderError.inUse(path: url.path, pid: holder)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
        lockDescriptor = fd
    }

    deinit { close(lockDescriptor) }

    /// A new folder `outdir/NNNNN-suffix`, numbered after every existing run: `mkdir` fails when the
    /// name is taken (by a run started at the same moment), and the next number is tried.
    static func create(outdir: String, suffix: String) throws -> RunFolder {
        do {
            try FileManager.default.createDirectory(atPath: outdir, withIntermediateDirectories: true)
        } catch {
            throw RunFolderError.cannotWrite(path: outdir, reason: "cannot create the folder (\(describeError(error)))")
        }
        for _ in 0..<1000 {
            let existing = ((try? FileManager.default.contentsOfDirectory(atPath: outdir)) ?? []).compactMap { Int($0.prefix(5)) }
            let id = (existing.max() ?? -1) + 1
            let url = URL(fileURLWithPath: outdir).appendingPathComponent(String(format: "%05d", id) + "-" + suffix)
            if mkdir(url.path, 0o755) == 0 { return try RunFolder(locking: url) }
            guard errno == EEXIST else { throw RunFolderError.cannotWrite(path: url.path, reason: String(cString: strerror(errno))) }
        }
        throw RunFolderError.cannotWrite(path: outdir, reason: "no free run number after 1000 tries")
    }

    /// Removes temporary files a killed writer left behind (`*.tmp-PID`).
    func removeLeftovers() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] where name.contains(".tmp-") {
            try? FileManager.default.removeItem(at: url.appendingPathComponent(name))
        }
    }

    /// Appends `line` and a newline to `name`: all of it or, when the write fails (a full disk), none
    /// of it (the file is cut back to its old length).
    func appendLine(_ line: String, to name: String) throws {
        let filePath = url.appendingPathComponent(name).path
        let fd = open(filePath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunFolderError.cannotWrite(path: filePath, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let start = lseek(fd, 0, SEEK_END)
        let bytes = Array((line + "\n").utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let reason = n < 0 ? String(cString: strerror(errno)) : "nothing written"
                if start >= 0 { _ = ftruncate(fd, start) }
                throw RunFolderError.cannotWrite(path: filePath, reason: reason)
            }
            written += n
        }
    }

    /// Runs a writer of a whole file (a grid, a snapshot), turning its failure into one clear error
    /// that names the file; the writers themselves write to a temporary file and rename it.
    func write(_ name: String, _ body: (String) throws -> Void) throws {
        let filePath = url.appendingPathComponent(name).path
        do {
            try body(filePath)
        } catch {
            // The writers' own errors start with the file's name: say it once.
            var reason = describeError(error)
            if reason.hasPrefix(filePath + " ") { reason.removeFirst(filePath.count + 1) }
            if reason.hasPrefix(filePath + ": ") { reason.removeFirst(filePath.count + 2) }
            throw RunFolderError.cannotWrite(path: filePath, reason: reason)
        }
    }
}

/// One line that says what went wrong: a library error's own description; for Foundation's errors
/// (a file that cannot be read or written, malformed JSON) the file and the cause, without the
/// framework's domain and user-info dump.
public func describeError(_ error: Error) -> String {
    if let decoding = error as? DecodingError {
        switch decoding {
        case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return "malformed JSON\(path.isEmpty ? "" : " at '\(path)'"): \(underlying ?? context.debugDescription)"
        @unknown default:
            return "malformed JSON"
        }
    }
    if let cocoa = error as? CocoaError {
        var cause = cocoa.localizedDescription
        if let underlying = cocoa.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            cause = String(cString: strerror(Int32(underlying.code)))
        } else if cocoa.code == .fileWriteOutOfSpace {
            cause = String(cString: strerror(ENOSPC))
        }
        return (cocoa.filePath.map { "\($0): " } ?? "") + cause
    }
    if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
    if type(of: error) is NSError.Type {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        return ns.localizedDescription
    }
    return "\(error)"
}

/// A run folder that cannot be used or written.
enum RunFolderError: Error, CustomStringConvertible {
    case inUse(path: String, pid: Int32?)
    case cannotWrite(path: String, reason: String)

    var description: String {
        switch self {
        case .inUse(let path, let pid):
            return "run folder \(path) is in use by \(pid.map { "process \($0)" } ?? "another process") (a training run still going); wait for it to end or stop it, or start a new run without --resume"
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason); the run stopped here (log lines and the last snapshot are whole): free space on that disk (or fix the permissions) and continue with --resume latest"
        }
    }
}
