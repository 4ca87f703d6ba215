import Foundation
import Tensors
import Testing

/// The reference backend is the oracle, so it is checked here against values worked out by hand.
@Suite struct ReferenceBackendTests {
    func t(_ values: [Double], _ shape: [Int]) throws -> Tensor { try Tensor(values, shape: shape) }

    @Test func broadcastingBinaryOps() throws {
        let a = try t([1, 2, 3], [3, 1])
        let b = try t([10, 20], [2])
        #expect(try (a + b).shape == [3, 2])
        #expect(try (a + b).toArray() == [11, 21, 12, 22, 13, 23])
        #expect(try (b - a).toArray() == [9, 19, 8, 18, 7, 17])
        #expect(try (a * 2.0 + 1.0).toArray() == [3, 5, 7])
        #expect(try (1.0 - a).toArray() == [0, -1, -2])
        #expect(try a.greater(try t([2], [1])).toArray() == [0, 0, 1])
    }

    @Test func unaryOps() throws {
        let x = try t([-2, 0, 0.5, 3], [4])
        #expect(try x.relu().toArray() == [0, 0, 0.5, 3])
        #expect(try x.leakyRelu(alpha: 0.2).toArray() == [Float(-0.4), 0, 0.5, 3])
        #expect(try x.clamp(min: -1, max: 1).toArray() == [-1, 0, 0.5, 1])
        #expect(try x.square().toArray() == [4, 0, 0.25, 9])
        #expect(try x.step().toArray() == [0, 0, 1, 1])
        #expect(try t([4, 0.25], [2]).rsqrt().toArray() == [0.5, 2])
    }

    @Test func reductions() throws {
        let x = try t([1, 2, 3, 4, 5, 6], [2, 3])
        #expect(try x.sum().toArray() == [21])
        #expect(try x.sum(axes: [0]).toArray() == [5, 7, 9])
        #expect(try x.sum(axes: [1], keepDims: true).shape == [2, 1])
        #expect(try x.mean(axes: [-1]).toArray() == [2, 5])
        #expect(try x.max(axes: [0]).toArray() == [4, 5, 6])
        #expect(try x.min().item() == 1)
    }

    @Test func shapeOps() throws {
        let x = try t([0, 1, 2, 3, 4, 5], [2, 3])
        #expect(try x.transpose().toArray() == [0, 3, 1, 4, 2, 5])
        #expect(try x.reshape([3, -1]).shape == [3, 2])
        #expect(try x.slice(axis: 1, 1..<3).toArray() == [1, 2, 4, 5])
        #expect(try Tensor.concat([x, x.slice(axis: 0, 0..<1)], axis: 0).toArray() == [0, 1, 2, 3, 4, 5, 0, 1, 2])
        #expect(try t([7, 8], [2, 1]).expand(to: [2, 3]).toArray() == [7, 7, 7, 8, 8, 8])
        #expect(try x.reshape([1, 2, 3]).permute([2, 0, 1]).shape == [3, 1, 2])
    }

    @Test func matmulByHand() throws {
        let a = try t([1, 2, 3, 4, 5, 6], [2, 3])
        let b = try t([7, 8, 9, 10, 11, 12], [3, 2])
        #expect(try a.matmul(b).toArray() == [58, 64, 139, 154])
        #expect(try a.matmul(a, transposeOther: true).toArray() == [14, 32, 32, 77])
        #expect(try a.matmul(a, transposeSelf: true).shape == [3, 3])
        let batched = try Tensor.concat([a.reshape([1, 2, 3]), (a * 2.0).reshape([1, 2, 3])], axis: 0)
        #expect(try batched.matmul(b).toArray() == [58, 64, 139, 154, 116, 128, 278, 308])
    }

    @Test func conv2dByHand() throws {
        // A 3x3 image, a 2x2 kernel: each output sums a 2x2 window.
        let x = try t([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3])
        let w = try t([1, 1, 1, 1], [1, 1, 2, 2])
        #expect(try x.conv2d(w).toArray() == [12, 16, 24, 28])
        // Cross-correlation, not convolution: the weight is not flipped.
        let corner = try t([1, 0, 0, 0], [1, 1, 2, 2])
        #expect(try x.conv2d(corner).toArray() == [1, 2, 4, 5])
        #expect(try x.conv2d(w, stride: (2, 2), padding: (1, 1)).toArray() == [1, 5, 11, 28])
        // Two groups of one channel each: the channels do not mix.
        let x2 = try Tensor.concat([x, x * 10.0], axis: 1)
        let w2 = try Tensor.concat([w, corner], axis: 0)
        #expect(try x2.conv2d(w2, groups: 2).toArray() == [12, 16, 24, 28, 10, 20, 40, 50])
    }

    @Test func float32ResultsAreRounded() throws {
        let third = try Tensor([1.0 / 3.0], shape: [1])
        #expect(try third.toDoubles()[0] == Double(Float(1.0 / 3.0)))
        let exact = try Tensor([1.0 / 3.0], shape: [1], dtype: .float64)
        #expect(try exact.toDoubles()[0] == 1.0 / 3.0)
    }

    @Test func errorsNameOpAndShapes() throws {
        let a = try Tensor.zeros([2, 3])
        let b = try Tensor.zeros([4, 5])
        #expect(throws: TensorError.shapeMismatch(op: "add", shapes: [[2, 3], [4, 5]], reason: "do not broadcast")) {
            try a + b
        }
        #expect { try a.matmul(b) } throws: { "\($0)".contains("[2, 3] and [4, 5]") }
        #expect { try a.reshape([5]) } throws: { "\($0)".contains("reshape") }
        #expect { try a.sum(axes: [2]) } throws: { "\($0)".contains("axis 2 out of range for shape [2, 3]") }
        #expect { try a.slice(axis: 1, 2..<4) } throws: { "\($0)".contains("range 2..<4") }
        #expect { try a.conv2d(b) } throws: { "\($0)".contains("rank 4") }
        #expect { try Tensor([1, 2, 3] as [Float], shape: [2, 2]) } throws: { "\($0)".contains("need 4 values, got 3") }
        #expect { try a.to(.cpu, dtype: .float64) + a } throws: { "\($0)".contains("float64") }
    }

}

/// `Tensors` is the backend-agnostic core: this target depends on it alone, and no file of it
/// names OpenCL, so it builds and its reference-backend tests run where OpenCL is not installed.
@Suite struct CoreWithoutOpenCLTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func tensorsImportsNothingButTheStandardLibraries() throws {
        let folder = Self.root.appendingPathComponent("Sources/Tensors").resolvingSymlinksInPath()
        let files = try #require(FileManager.default.enumerator(atPath: folder.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(files.count > 10)
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let imports = text.split(separator: "\n").filter { $0.hasPrefix("import ") || $0.hasPrefix("@testable import ") }
            for line in imports { #expect(["import Foundation", "import Dispatch"].contains(String(line)), "\(file): \(line)") }
            #expect(!text.contains("OpenCLRuntime") && !text.contains("COpenCL") && !text.contains("cl_mem"), "\(file) names OpenCL")
        }
    }

    /// The proof: a package of `Tensors` and these tests alone (no OpenCL target, header or library
    /// anywhere in it) builds, and its tests pass. Skipped inside that package itself.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SGAN_TENSORS_ALONE"] == nil, "already inside the package of Tensors alone"))
    func tensorsBuildsAndPassesInAPackageOfItsOwn() throws {
        let package = FileManager.default.temporaryDirectory.appendingPathComponent("sgan-tensors-alone-\(getpid())")
        try? FileManager.default.removeItem(at: package)
        for folder in ["Sources", "Tests"] {
            try FileManager.default.createDirectory(at: package.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        defer { try? FileManager.default.removeItem(at: package) }
        try FileManager.default.createSymbolicLink(at: package.appendingPathComponent("Sources/Tensors"),
                                                   withDestinationURL: Self.root.appendingPathComponent("Sources/Tensors"))
        try FileManager.default.createSymbolicLink(at: package.appendingPathComponent("Tests/ReferenceBackendTests"),
                                                   withDestinationURL: Self.root.appendingPathComponent("Tests/ReferenceBackendTests"))
        try """
            // swift-tools-version: 6.1
            import PackageDescription
            let package = Package(
                name: "tensors-alone",
                targets: [
                    .target(name: "Tensors"),
                    .testTarget(name: "ReferenceBackendTests", dependencies: ["Tensors"]),
                ],
                swiftLanguageModes: [.v6]
            )

            """.write(to: package.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "test", "--package-path", package.path]
        process.environment = ProcessInfo.processInfo.environment.merging(["SGAN_TENSORS_ALONE": "1"]) { $1 }
        let log = package.appendingPathComponent("log.txt")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        (process.standardOutput, process.standardError) = (handle, handle)
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let output = try String(contentsOf: log, encoding: .utf8)
        #expect(process.terminationStatus == 0, "\(output.suffix(3000))")
        #expect(output.contains("Test run with") && output.contains(" passed"), "\(output.suffix(1000))")
        #expect(!output.contains("warning:"), "\(output.split(separator: "\n").filter { $0.contains("warning:") }.prefix(5))")
    }

    /// The manifest gives `Tensors` no dependency at all.
    @Test func tensorsTargetHasNoDependencies() throws {
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        #expect(manifest.contains(".target(name: \"Tensors\"),"), "Tensors must be declared without dependencies")
    }
}

@Suite struct ShapeTests {
    @Test func broadcast() {
        #expect(Shape.broadcast([3, 1], [2]) == [3, 2])
        #expect(Shape.broadcast([2, 3], [3, 2]) == nil)
        #expect(Shape.broadcast([], [4]) == [4])
        #expect(Shape.broadcastStrides([3, 1], to: [2, 3, 5]) == [0, 1, 0])
    }

    @Test func collapseMergesContiguousDimensions() {
        let contiguous = Shape.collapse([2, 3, 4], [[12, 4, 1], [12, 4, 1]])
        #expect(contiguous.shape == [24])
        #expect(contiguous.strides == [[1], [1]])
        let broadcast = Shape.collapse([2, 3, 4], [[12, 4, 1], [0, 0, 1]])
        #expect(broadcast.shape == [6, 4])
        #expect(broadcast.strides == [[4, 1], [0, 1]])
    }
}
