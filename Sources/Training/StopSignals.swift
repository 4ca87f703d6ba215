import Dispatch
import Foundation

/// SIGINT and SIGTERM during training: the first one asks the run to finish its step, write a
/// snapshot and stop; a second one stops the process at once. Installed for the life of the value.
final class StopSignals: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Int32? = nil
    private var sources: [DispatchSourceSignal] = []
    private let signals: [Int32]
    /// Across MPI ranks: this process's rank (only rank 0 speaks); nil alone.
    private let rank: Int?

    init(_ signals: [Int32] = [SIGINT, SIGTERM], rank: Int? = nil) {
        self.signals = signals
        self.rank = rank
        for number in signals {
            signal(number, SIG_IGN)   // delivered to the dispatch source instead
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.received(number) }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for source in sources { source.cancel() }
        for number in signals { signal(number, SIG_DFL) }
    }

    /// The first signal received, if any.
    var received: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return first
    }

    private func received(_ number: Int32) {
        lock.lock()
        let isFirst = first == nil
        if isFirst { first = number }
        lock.unlock()
        let name = StopSignals.name(number)
        if isFirst {
            if let rank {
                // mpirun forwards a signal to every rank, and also sends SIGTERM when a rank has died.
                if rank == 0 {
                    FileHandle.standardError.write(Data("\n\(name): finishing this step on every rank and writing a snapshot (if a rank has died, mpirun ends the others instead: see its report)\n".utf8))
                }
            } else {
                FileHandle.standardError.write(Data("\n\(name): finishing this step and writing a snapshot (send it again to stop at once)\n".utf8))
            }
        } else {
            FileHandle.standardError.write(Data("\n\(name) again: stopped at once, without a snapshot\n".utf8))
            _exit(128 + number)
        }
    }

    static func name(_ number: Int32) -> String { number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" : "signal \(number)" }
}

/// A run stopped by a signal after writing its snapshot; the process should exit with `status`.
public struct TrainingStopped: Error, CustomStringConvertible {
    public let signal: Int32
    public let snapshot: String
    public let resumeCommand: String
    /// 128 + the signal number: 130 for SIGINT, 143 for SIGTERM.
    public var status: Int32 { 128 + signal }
    public var description: String {
        "stopped by \(StopSignals.name(signal)); wrote \(snapshot); continue with: \(resumeCommand)"
    }
}
