import Foundation
import Networks
import SafeTensors
import Tensors
import Testing

/// Network files: round trips, and precise errors for every kind of bad file.
@Suite struct NetworkFileTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sgan-netfile-\(getpid())")

    init() throws { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A tiny StyleGAN2 G and D.
    func small() throws -> NetworkFile.StyleGAN2Networks {
        var preset = try Preset.named(.small, resolution: 8)
        preset.generator?.zDim = 8
        preset.generator?.wDim = 8
        preset.generator?.synthesis.channelMax = 4
        preset.discriminator?.channelMax = 4
        return NetworkFile.StyleGAN2Networks(G: try StyleGAN2.Generator(preset.generator!, device: .cpu),
                                             D: try StyleGAN2.Discriminator(preset.discriminator!, device: .cpu),
                                             G_ema: try StyleGAN2.Generator(preset.generator!, seed: 5, device: .cpu))
    }

    @Test func roundTripRebuildsEveryNetwork() throws {
        let networks = try small()
        try NetworkFile.write(networks, to: path("net.safetensors"))
        let read = try NetworkFile.readStyleGAN2(path: path("net.safetensors"), device: .cpu)
        let z = try Tensor.uniform([2, 8], seed: 1)
        #expect(try read.G!(z).toArray() == networks.G!(z).toArray())
        #expect(try read.G_ema!(z).toArray() == networks.G_ema!(z).toArray())
        let img = try networks.G!(z)
        #expect(try read.D!(img).toArray() == networks.D!(img).toArray())
        let file = try SafeTensorsFile(path: path("net.safetensors"))
        #expect(file.metadata["sgan.arch"] == "stylegan2")
        #expect(file.metadata["sgan.G_kwargs"]?.contains("\"img_resolution\":8") == true)
        #expect(file.names.contains("G_ema.synthesis.b8.conv0.affine.weight"))
        #expect(file.names.contains("D.b4.out.bias"))
    }

    /// Writes `bytes` as file `name`, reads it as a network file, and returns the file and the
    /// error of type `E` that reading threw (nil, recorded as an issue, when it threw no `E`).
    func failure<E: Error>(_ name: String, _ bytes: Data, as type: E.Type,
                           sourceLocation: SourceLocation = #_sourceLocation) throws -> (file: String, error: E?) {
        let file = path("bad-\(name).safetensors")
        try bytes.write(to: URL(fileURLWithPath: file))
        return (file, #expect(throws: E.self, sourceLocation: sourceLocation) { _ = try NetworkFile.read(path: file, device: .cpu) })
    }

    /// Writes `bytes` and expects reading them to throw `expected(file)`.
    func expectFailure<E: Error & Equatable>(_ name: String, _ bytes: Data, _ expected: (String) -> E,
                                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (file, error) = try failure(name, bytes, as: E.self, sourceLocation: sourceLocation)
        #expect(error == expected(file), sourceLocation: sourceLocation)
    }

    func header(_ json: String, data: Data = Data()) -> Data {
        var out = Data()
        withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { out.append(contentsOf: $0) }
        return out + Data(json.utf8) + data
    }

    @Test func badFilesSayWhatIsWrong() throws {
        try NetworkFile.write(try small(), to: path("good.safetensors"))
        let good = try Data(contentsOf: URL(fileURLWithPath: path("good.safetensors")))

        let missing = path("missing.safetensors")
        #expect(throws: SafeTensorsError.fileNotFound(path: missing)) { _ = try NetworkFile.read(path: missing, device: .cpu) }
        try expectFailure("short", Data([1, 2, 3])) { SafeTensorsError.tooShort(path: $0, bytes: 3) }
        let (truncated, outside) = try failure("truncated", good.prefix(good.count / 2), as: SafeTensorsError.self)
        if case .offsetsOutsideData(let file, _, _, let end, let dataBytes)? = outside {
            #expect(file == truncated && end > dataBytes)
        } else {
            Issue.record("not data offsets outside the file: \(String(describing: outside))")
        }
        try expectFailure("zip", Data("PK\u{3}\u{4} this is a zip file, not safetensors".utf8)) { SafeTensorsError.zipArchive(path: $0) }
        try expectFailure("pickle", Data([0x80, 0x02, 0x7D, 0x71, 0x00, 0x2E, 0, 0, 0])) { SafeTensorsError.pythonPickle(path: $0) }
        try expectFailure("json", header("{not json")) { SafeTensorsError.headerNotJSON(path: $0) }
        try expectFailure("dtype", header(#"{"__metadata__":{"sgan.arch":"stylegan2"},"G.x":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}}"#, data: Data([0]))) {
            SafeTensorsError.unsupportedDType(path: $0, tensor: "G.x", dtype: "I8")
        }
        try expectFailure("bytes", header(#"{"__metadata__":{"sgan.arch":"stylegan2"},"G.x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: Data(count: 4))) {
            SafeTensorsError.byteCount(path: $0, tensor: "G.x", bytes: 4, shape: [2], dtype: "F32", needed: 8)
        }
        try expectFailure("offsets", header(#"{"__metadata__":{"sgan.arch":"stylegan2"},"G.x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: Data(count: 4))) {
            SafeTensorsError.offsetsOutsideData(path: $0, tensor: "G.x", begin: 4, end: 8, dataBytes: 4)
        }
        try expectFailure("arch", header(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: Data(count: 4))) {
            NetworkFileError.notANetworkFile(path: $0)
        }
        try expectFailure("stylegan3", header(#"{"__metadata__":{"sgan.arch":"stylegan3"},"G.x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: Data(count: 4))) {
            NetworkFileError.unknownArchitecture(path: $0, arch: "stylegan3")
        }
        try expectFailure("format", header(#"{"__metadata__":{"sgan.arch":"stylegan2","sgan.format":"7"},"G.x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: Data(count: 4))) {
            NetworkFileError.unknownFormat(path: $0, format: "7")
        }
        let (kwargsFile, kwargs) = try failure("kwargs", header(#"{"__metadata__":{"sgan.arch":"stylegan2","sgan.G_kwargs":"{oops"},"G.x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: Data(count: 4)),
                                               as: NetworkFileError.self)
        if case .invalidArguments(let file, let key, _)? = kwargs {
            #expect(file == kwargsFile && key == NetworkFile.generatorKwargsKey)
        } else {
            Issue.record("not invalid constructor arguments: \(String(describing: kwargs))")
        }
        try expectFailure("resolution", header(#"{"__metadata__":{"sgan.arch":"stylegan2","sgan.G_kwargs":"{\"img_resolution\":24}"},"G.x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: Data(count: 4))) {
            NetworkFileError.network(path: $0, .resolution(24))
        }

        // A network whose tensors do not match its configuration.
        var networks = try small()
        var writer = SafeTensorsWriter(metadata: try SafeTensorsFile(path: path("good.safetensors")).metadata)
        for (key, t) in networks.G!.stateDict() where key != "mapping.fc0.bias" {
            let shape = key == "synthesis.b8.conv1.weight" ? [t.shape[0], t.shape[1], 1, 9] : t.shape
            writer.add("G." + key, shape: shape, values: try t.toArray())
        }
        let mismatched = path("mismatch.safetensors")
        try writer.write(to: mismatched)
        let mismatch = #expect(throws: NetworkFileError.self) { _ = try NetworkFile.read(path: mismatched, device: .cpu) }
        #expect(mismatch == .network(path: mismatched, .shapeMismatch("G.synthesis.b8.conv1.weight", expected: [4, 4, 3, 3], found: [4, 4, 1, 9]))
                || mismatch == .network(path: mismatched, .missingTensor("G.mapping.fc0.bias")))
        networks.D = nil
        writer = SafeTensorsWriter(metadata: try SafeTensorsFile(path: path("good.safetensors")).metadata)
        for (key, t) in networks.G!.stateDict() { writer.add("G." + key, shape: t.shape, values: try t.toArray()) }
        writer.add("G.extra.weight", shape: [1], values: [0])
        try writer.write(to: path("extra.safetensors"))
        #expect(throws: NetworkFileError.network(path: path("extra.safetensors"), .unexpectedTensor("G.extra.weight"))) {
            _ = try NetworkFile.read(path: path("extra.safetensors"), device: .cpu)
        }
    }

    /// A deterministic mutation test: no corrupted file crashes the reader.
    @Test func corruptedFilesNeverCrash() throws {
        try NetworkFile.write(try small(), to: path("fuzz-base.safetensors"))
        let base = try Data(contentsOf: URL(fileURLWithPath: path("fuzz-base.safetensors")))
        var generator = SeededGenerator(seed: 99)
        var rejected = 0
        for round in 0..<300 {
            var bytes = [UInt8](base)
            for _ in 0..<(1 + round % 4) {
                let i = Int(generator.next() % UInt64(min(bytes.count, round % 2 == 0 ? 2048 : bytes.count)))
                bytes[i] = UInt8(truncatingIfNeeded: generator.next())
            }
            if round % 7 == 0 { bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count)))) }
            if (try? SafeTensorsFile(data: Data(bytes))) == nil { rejected += 1 }
        }
        #expect(rejected > 50)
    }
}

@Suite struct PresetTests {
    @Test func officialValues() throws {
        let stylegan2 = try Preset.named(.stylegan2, resolution: 1024)
        #expect(stylegan2.batch == 32 && stylegan2.r1Gamma == 10 && stylegan2.learningRate == 0.002 && stylegan2.emaKimg == 10)
        #expect(stylegan2.generator?.synthesis.channelBase == 32768 && stylegan2.generator?.mapping.numLayers == 8)
        let auto256 = try Preset.named(.auto, resolution: 256)
        // auto: mb = min(4096/256, 32) = 16, mbstd 4, fmaps 0.5, lrate 0.0025, gamma 0.0002·256²/16, ema 16·10/32.
        #expect(auto256.batch == 16 && auto256.discriminator?.mbstdGroupSize == 4)
        #expect(auto256.generator?.synthesis.channelBase == 16384 && auto256.generator?.mapping.numLayers == 2)
        #expect(abs(auto256.r1Gamma - 0.8192) < 1e-12 && auto256.emaKimg == 5 && auto256.emaRampup == 0.05)
        let paper256 = try Preset.named(.paper256, resolution: 256)
        #expect(paper256.batch == 64 && paper256.r1Gamma == 1 && paper256.discriminator?.mbstdGroupSize == 8)
        let cifar = try Preset.named(.cifar, resolution: 32)
        #expect(cifar.discriminator?.architecture == .orig && cifar.plWeight == 0 && cifar.styleMixingProb == 0 && cifar.emaKimg == 500)
        let paper1024 = try Preset.named(.paper1024, resolution: 1024)
        // train.py: paper1024 has fmaps 1, channel_base int(1 * 32768).
        #expect(paper1024.generator?.synthesis.channelBase == 32768 && paper1024.discriminator?.channelBase == 32768)
        #expect(paper1024.batch == 32 && paper1024.r1Gamma == 2 && paper1024.learningRate == 0.002 && paper1024.discriminator?.mbstdGroupSize == 4)
        #expect(try Preset.named(.stylegan1FFHQ, resolution: 1024).generatorV1?.nf(9) == 16)
        #expect(Preset.Name(rawValue: "paper9000") == nil && Preset.Name(rawValue: "stylegan1-ffhq") == .stylegan1FFHQ)
        #expect(throws: NetworkError.resolution(100)) { try Preset.named(.auto, resolution: 100) }
    }

    @Test(arguments: [Preset.Name.small, .stylegan1Small, .cifar])
    func smallPresetsBuildAndRun(_ name: Preset.Name) throws {
        let preset = try Preset.named(name, resolution: 32)
        let z = try Tensor.uniform([4, preset.generator?.zDim ?? preset.generatorV1!.latentSize], seed: 1)
        let logits: Tensor
        if let g = preset.generator, let d = preset.discriminator {
            var small = g
            small.synthesis.channelMax = min(g.synthesis.channelMax, 16)
            var smallD = d
            (smallD.channelMax, smallD.mbstdGroupSize) = (min(d.channelMax, 16), 4)
            logits = try StyleGAN2.Discriminator(smallD, device: .cpu)(StyleGAN2.Generator(small, device: .cpu)(z))
        } else {
            logits = try StyleGAN1.Discriminator(preset.discriminatorV1!, device: .cpu)(StyleGAN1.Generator(preset.generatorV1!, device: .cpu)(z, lod: 1))
        }
        #expect(logits.shape == [4, 1])
        #expect(try logits.toArray().allSatisfy(\.isFinite))
    }
}
