import Foundation
import Networks
import StyleGANOps
import Tensors
import TensorsOpenCL
import Testing

/// StyleGAN2's generator against the official tensors, on each backend.
@Suite struct GeneratorReferenceTests {
    @Test(arguments: testDevices, ["g_init", "g_pert"])
    func mappingAndImages(_ deviceName: String, _ set: String) throws {
        let device = try Device.select(deviceName)
        let g = try Reference.generator(set + "_params", on: device)
        let io = try Reference.file(set + "_io")
        let z = try Reference.tensor(io, "z", on: device)
        try expectClose(z.normalize2ndMoment(), Reference.tensor(io, "z_normalized"), "\(set) z_normalized")
        let ws1 = try g.mapping(z)
        try expectClose(ws1, Reference.tensor(io, "ws_psi1"), "\(set) ws_psi1")
        let ws05 = try g.mapping(z, psi: 0.5)
        try expectClose(ws05, Reference.tensor(io, "ws_psi0.5"), "\(set) ws_psi0.5")
        let images: [(String, Tensor, NoiseMode)] = [("img_const", ws1, .const), ("img_const_psi0.5", ws05, .const), ("img_none", ws1, .none)]
        for (name, ws, mode) in images {
            let error = try expectClose(g.synthesis(ws, noiseMode: mode), Reference.tensor(io, name), "\(set) \(name)")
            print("\(deviceName) \(set) \(name): max error \(error)")
        }
        try expectClose(g(z), Reference.tensor(io, "img_G_forward"), "\(set) img_G_forward")
        // The fused modulated convolution (grouped, per-sample weights) gives the same image up to rounding.
        try expectClose(g.synthesis(ws1, fused: true), Reference.tensor(io, "img_const"), "\(set) img_const fused")
    }

    @Test(arguments: testDevices)
    func perLayerActivations(_ deviceName: String) throws {
        let device = try Device.select(deviceName)
        let g = try Reference.generator("g_pert_params", on: device)
        let io = try Reference.file("g_pert_io")
        let z = try Reference.tensor(io, "z", on: device)
        let trace = try ActivationTrace.recording { _ = try g.synthesis(g.mapping(z)) }
        var checked = 0
        for name in io.names where name.hasPrefix("act.") {
            let key = String(name.dropFirst(4))
            let got = try #require(trace.tensors[key], "no activation recorded for \(key)")
            try expectClose(got, Reference.tensor(io, name), name)
            checked += 1
        }
        #expect(checked >= 8 + 4 * 3 + 4 * 3)
    }

    @Test(arguments: testDevices)
    func wAvgTracking(_ deviceName: String) throws {
        let device = try Device.select(deviceName)
        let g = try Reference.generator("g_init_params", on: device)
        let pert = try Reference.state("g_pert_params", on: device)
        try g.load(pert.merging(["mapping.w_avg": try Tensor.zeros([64], on: device)]) { $1 })
        let io = try Reference.file("g_pert_io")
        let zs = try Reference.tensor(io, "track.z", on: device)
        let trackedW = try Reference.tensor(io, "track.w")
        let averages = try Reference.tensor(io, "track.w_avg")
        for step in 0..<3 {
            let z = try zs.slice(axis: 0, step..<(step + 1)).reshape([8, 64])
            let trace = try ActivationTrace.recording { _ = try g.mapping(z, updateWAvg: true) }
            try expectClose(try #require(trace.tensors["mapping.fc7"]), trackedW.slice(axis: 0, step..<(step + 1)).reshape([8, 64]), "track.w[\(step)]")
            try expectClose(g.mapping.wAvg.value, averages.slice(axis: 0, (step + 1)..<(step + 2)).reshape([64]), "track.w_avg[\(step + 1)]")
        }
    }
}
