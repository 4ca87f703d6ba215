import Foundation
import SafeTensors
import Testing

/// Training across MPI ranks with `mpirun` (Open MPI, installed by tools/setup; skipped without it):
/// two ranks train as one process with half the batch per round, only rank 0 writes, a rank's
/// death stops the other, and a two-rank run's snapshot continues in one process.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/mpirun"), "Open MPI is not installed (tools/setup)"))
struct DistributedTests {
    /// A tiny run: 8×8 procedural images, batch 8, ADA; OpenCL where present.
    func arguments(outdir: String, kimg: String) -> [String] {
        ["train", "--outdir", outdir, "--resolution", "8", "--cbase", "32", "--cmax", "4", "--map", "1", "--zdim", "8",
         "--batch", "8", "--mbstd-group", "2", "--kimg", kimg, "--tick", "0.016", "--snap", "2", "--grid", "2x2",
         "--ada-kimg", "0.2", "--target", "0.3", "--device", hasOpenCL ? "opencl" : "cpu"]
    }

    /// `mpirun` with `arguments` (its own, then the program's), as root, not yet started.
    func mpirunProcess(_ arguments: [String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mpirun")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(mpiEnvironment) { $1 }
        return process
    }

    /// `mpirun -np N sgan-gpu ...` on a machine with fewer cores than ranks, run to its end.
    func mpirun(_ ranks: Int, _ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        try run(mpirunProcess(["-np", "\(ranks)", "--oversubscribe", try sganBinary().path] + arguments))
    }

    /// Runs `process` to its end, with its output.
    func run(_ process: Process) throws -> (status: Int32, out: String, err: String) {
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile(), errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    let mpiEnvironment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_btl_base_warn_component_unused": "0"]

    func folder(_ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sgan-mpi-\(name)-\(getpid())").path
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The run folders under `outdir`.
    func runs(_ outdir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: outdir).filter { !$0.hasPrefix(".") }.map { outdir + "/" + $0 }
    }

    /// Every tensor of the run's snapshot `name`.
    func snapshot(_ outdir: String, _ name: String) throws -> [String: [Float]] {
        let file = try SafeTensorsFile(path: try #require(try runs(outdir).first) + "/" + name)
        return try Dictionary(uniqueKeysWithValues: file.names.map { ($0, try file.floats($0)) })
    }

    /// Each tensor within 1e-4 of its largest value.
    func expectAgree(_ a: [String: [Float]], _ b: [String: [Float]], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.count == b.count && a.count > 100, sourceLocation: sourceLocation)
        for (name, x) in a {
            guard let y = b[name], y.count == x.count else { Issue.record("\(name) missing", sourceLocation: sourceLocation); continue }
            let scale = Double(x.map { Swift.abs($0) }.max() ?? 0)
            let error = zip(x, y).map { Double(Swift.abs($0 - $1)) }.max() ?? 0
            #expect(error <= 1e-4 * Swift.max(scale, 1e-6), "\(name): max error \(error) of \(scale)", sourceLocation: sourceLocation)
        }
    }

    /// Each tick's line of the run's stats.jsonl, statistic → mean.
    func statistics(_ outdir: String) throws -> [[String: Double]] {
        let text = try String(contentsOfFile: try #require(try runs(outdir).first) + "/stats.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return record.compactMapValues { ($0 as? [String: Any])?["mean"] as? Double }
        }
    }

    @Test func twoRanksTrainAsOneProcessWithHalfTheBatchPerRound() throws {
        let two = try folder("two"), one = try folder("one")
        let result = try mpirun(2, arguments(outdir: two, kimg: "0.064"))
        #expect(result.status == 0, "\(result.err)")
        let single = try runCommand(arguments(outdir: one, kimg: "0.064") + ["--batch-gpu", "4"])
        #expect(single.status == 0, "\(single.err)")
        // G, D, G_ema, the Adam moments, pl_mean.
        expectAgree(try snapshot(two, "network-snapshot-000000.064.safetensors"), try snapshot(one, "network-snapshot-000000.064.safetensors"))
        // The tick statistics: losses, scores, signs, R1, path length, p.
        let ticksA = try statistics(two), ticksB = try statistics(one)
        #expect(ticksA.count == ticksB.count && ticksA.count == 5)
        for (a, b) in zip(ticksA, ticksB) {
            #expect(Set(a.keys.filter { $0.hasPrefix("Loss/") }) == Set(b.keys.filter { $0.hasPrefix("Loss/") }))
            for key in a.keys where key.hasPrefix("Loss/") || key == "Progress/augment" {
                #expect(Swift.abs(a[key]! - (b[key] ?? .nan)) <= 1e-4 * Swift.max(1, Swift.abs(b[key] ?? 0)), "\(key): \(a[key]!) vs \(b[key] ?? .nan)")
            }
        }
        #expect(ticksA[0].keys.contains("Loss/r1_penalty") && ticksA[0].keys.contains("Loss/pl_penalty"))
        // Rank 0 alone wrote and printed: one run folder, one copy of each line.
        #expect(try runs(two).count == 1)
        #expect(result.out.components(separatedBy: "Done:").count == 2, "\(result.out)")
        // One tick-0 line (a first run on a machine adds one note about compiling, also once).
        let lines = result.out.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("tick 0 ") && $0.contains("kimg") }.count == 1, "\(result.out)")
        #expect(lines.filter { $0.hasPrefix("tick 0 took") }.count <= 1, "\(result.out)")
    }

    /// A two-rank run's snapshot continues in one process (with the run's own rounds of 4) on the
    /// trajectory of a run that trained in one process throughout.
    @Test func aTwoRankSnapshotResumesInOneProcess() throws {
        let split = try folder("split"), straight = try folder("straight")
        #expect(try mpirun(2, arguments(outdir: split, kimg: "0.032")).status == 0)
        let resumed = try runCommand(arguments(outdir: split, kimg: "0.064") + ["--resume", "latest"])
        #expect(resumed.status == 0, "\(resumed.err)")
        #expect(try runCommand(arguments(outdir: straight, kimg: "0.064") + ["--batch-gpu", "4"]).status == 0)
        expectAgree(try snapshot(split, "network-snapshot-000000.064.safetensors"), try snapshot(straight, "network-snapshot-000000.064.safetensors"))
    }

    /// Killing one rank in the middle of training ends the other within 30 s (mpirun reports the
    /// killed rank); the last snapshot stays readable, and the run resumes from it in one process.
    /// A long two-rank run in the background, its output going to a log file, once it has written
    /// two snapshots (ticks of 16 images, a snapshot every 2 ticks).
    func startedRun(_ out: String) throws -> (process: Process, log: String, ranks: [Int32]) {
        let process = mpirunProcess(["-np", "2", "--oversubscribe", try sganBinary().path] + arguments(outdir: out, kimg: "100"))
        let log = out + "-mpirun.txt"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        (process.standardOutput, process.standardError) = (handle, handle)
        try process.run()
        let started = Date()
        while snapshots(out).count < 2 && Date().timeIntervalSince(started) < 120 && process.isRunning { usleep(200_000) }
        #expect(snapshots(out).count >= 2, "no snapshot within 120 s")
        return (process, log, try childProcesses(of: process.processIdentifier))
    }

    /// The finished snapshots of the run under `out`.
    func snapshots(_ out: String) -> [String] {
        ((try? runs(out)).flatMap { $0.first }.flatMap { try? FileManager.default.contentsOfDirectory(atPath: $0) } ?? [])
            .filter { $0.hasPrefix("network-snapshot-") && !$0.contains(".tmp-") }
    }

    /// SIGTERM to every rank: they finish the same step, rank 0 writes a snapshot and says how to
    /// continue, and the run continues from it.
    @Test func sigtermToTheRanksStopsThemTogether() throws {
        let out = try folder("sigterm")
        let (process, log, ranks) = try startedRun(out)
        #expect(ranks.count == 2, "ranks: \(ranks)")
        let before = snapshots(out).count
        for rank in ranks { kill(rank, SIGTERM) }
        let signalled = Date()
        while process.isRunning && Date().timeIntervalSince(signalled) < 60 { usleep(100_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let output = try String(contentsOfFile: log, encoding: .utf8)
        #expect(output.contains("Stopped by SIGTERM") && output.contains("--resume latest"), "\(output.suffix(1500))")
        #expect(snapshots(out).count == before + 1, "\(snapshots(out))")
        let resumed = try runCommand(arguments(outdir: out, kimg: "0.2") + ["--resume", "latest"])
        #expect(resumed.status == 0 && resumed.out.contains("Resuming from"), "\(resumed.err)")
    }

    @Test func killingOneRankStopsTheOther() throws {
        let out = try folder("kill")
        let (process, log, ranks) = try startedRun(out)
        func snapshots() -> [String] { self.snapshots(out) }
        #expect(ranks.count == 2, "ranks: \(ranks)")
        let killed = Date()
        kill(try #require(ranks.last), SIGKILL)
        while process.isRunning && Date().timeIntervalSince(killed) < 60 { usleep(100_000) }
        let seconds = Date().timeIntervalSince(killed)
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let output = try String(contentsOfFile: log, encoding: .utf8)
        #expect(seconds < 30, "the job took \(seconds) s to stop")
        #expect(process.terminationStatus != 0)
        #expect(output.contains("exited on signal 9"), "\(output.suffix(1500))")
        for rank in ranks { #expect(!isRunning(rank), "rank process \(rank) still alive") }
        // The last snapshot is whole, and the run continues from it.
        let last = try #require(snapshots().sorted().last)
        #expect(throws: Never.self) { _ = try SafeTensorsFile(path: try runs(out)[0] + "/" + last) }
        let resumed = try runCommand(arguments(outdir: out, kimg: "0.2") + ["--resume", "latest"])
        #expect(resumed.status == 0, "\(resumed.err)")
    }

    /// Whether process `pid` exists and is not a zombie (a container's init may not reap it).
    func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
            return false
        }
        return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
    }

    /// The process ids whose parent is `parent` (from /proc).
    func childProcesses(of parent: Int32) throws -> [Int32] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == parent
        }.sorted()
    }

    /// A configuration the ranks cannot split is refused before the first step, on every rank.
    @Test func aBatchTheRanksCannotSplitIsRefused() throws {
        let out = try folder("refused")
        let result = try mpirun(2, arguments(outdir: out, kimg: "0.032") + ["--batch-gpu", "8"])
        #expect(result.status != 0)
        // One line from rank 0 (mpirun adds its own report of the exit status).
        let ours = result.err.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(ours == ["error: batch 8 is not divisible by 2 ranks × --batch-gpu 8; choose --batch as a multiple of 16 or another --batch-gpu"],
                "\(result.err)")
        #expect(try runs(out).isEmpty)

        // Ranks started with different options (here the seed), in one job (mpirun's ':' syntax).
        let binary = try sganBinary().path
        let disagreeing = try run(mpirunProcess(["-np", "1", binary] + arguments(outdir: out, kimg: "0.032") + ["--seed", "1", ":",
                                                 "-np", "1", binary] + arguments(outdir: out, kimg: "0.032") + ["--seed", "2"]))
        #expect(disagreeing.status != 0)
        #expect(disagreeing.err.split(separator: "\n").filter { $0.hasPrefix("error:") }
                == ["error: rank 1 was started with options different from rank 0's; give every rank the same command line and files"],
                "\(disagreeing.err)")
        #expect(try runs(out).isEmpty)
    }
}
