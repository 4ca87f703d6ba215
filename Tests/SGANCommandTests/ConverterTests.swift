import Foundation
import Networks
import SafeTensors
import Tensors
import Testing

/// Runs `python3` with `arguments` in the repository root; nil when there is no python3.
func runPython(_ arguments: [String]) throws -> (status: Int32, out: String, err: String)? {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    process.currentDirectoryURL = root
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    do { try process.run() } catch { return nil }
    let outData = out.fileHandleForReading.readDataToEndOfFile(), errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    if process.terminationStatus == 127 { return nil }
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

let hasPython = (try? runPython(["-c", "import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)"]))??.status == 0

/// `tools/convert_official.py` (optional: it needs Python 3.9+, no torch).
@Suite(.enabled(if: hasPython, "no python3 (3.9 or newer): the optional converter is not tested"))
struct ConverterTests {
    @Test func pythonTestsPass() throws {
        let result = try #require(try runPython(["-m", "unittest", "-q", "tools/test_convert_official.py"]))
        #expect(result.status == 0, "\(result.err)")
    }

    /// The official reference G written as a torch state_dict (by the Python tests' writer), converted,
    /// and rendered: the image is the official one.
    @Test func convertedReferenceStateDictRendersTheReferenceImage() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sgan-convert-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let fixtures = "Tests/Fixtures/stylegan2-reference"
        let pt = folder.appendingPathComponent("G_ema.pt").path, network = folder.appendingPathComponent("g.safetensors").path
        let script = """
        import sys; sys.path.insert(0, 'tools')
        import test_convert_official as t
        _, _, tensors, _, _ = t.read_safetensors('\(fixtures)/g_pert_params.safetensors')
        t.write_zip_state_dict('\(pt)', {name: t.T(info['shape'], values) for name, (info, values) in tensors.items()})
        """
        let written = try #require(try runPython(["-c", script]))
        #expect(written.status == 0, "\(written.err)")
        let converted = try #require(try runPython(["tools/convert_official.py", pt, network, "--z-dim", "64", "--w-dim", "64"]))
        #expect(converted.status == 0, "\(converted.err)")

        let io = try SafeTensorsFile(path: fixtures + "/g_pert_io.safetensors")
        var latents = SafeTensorsWriter()
        latents.add("z", shape: [4, 64], values: try io.floats("z"))
        let z = folder.appendingPathComponent("z.safetensors").path
        try latents.write(to: z)
        let raw = folder.appendingPathComponent("raw.safetensors").path
        let result = try runCommand(["render", "--network", network, "--latents", z, "--raw", raw, "--device", "cpu",
                                     "--outdir", folder.appendingPathComponent("png").path])
        #expect(result.status == 0, "\(result.err)")
        let got = try SafeTensorsFile(path: raw).floats("img"), expected = try io.floats("img_const")
        let error = zip(got, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(error <= 1e-4 * max(1, expected.map { abs($0) }.max()!), "max error \(error)")
    }
}
