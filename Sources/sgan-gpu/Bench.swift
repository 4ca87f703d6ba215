import ArgumentParser
import Distributed
import Foundation
import Tensors
import TensorsOpenCL

/// `sgan-gpu bench`: throughput of the compute kernels (GFLOP/s), median of several runs.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput: StyleGAN2 networks (--cfg) or the matmul and conv2d kernels, median of several runs.",
        discussion: "--cfg a (32x32, channel_base 16384, channel_max 512, 2 mapping layers, batch 8), b (64x64, channel_max 256), c (256x256, 8 mapping layers, batch 4), s (the small preset with channel_base 4096, channel_max 128: the whole training loop compared in PERFORMANCE.md) or small. Reports images/s of G forward (noise const), one iteration without regularisers (Gmain + Dmain with Adam), the R1 phase and the path-length phase, and peak host and device memory.")

    @Option(help: "Network configuration: a, b, c, s, small; inception (FID features) or augment (the ADA pipeline bgc at 32x32 and 256x256) (default: the kernel benchmark).")
    var cfg: String?

    @OptionGroup var options: DeviceOptions

    @Option(help: "Timed runs per measurement (the median is reported).")
    var runs = 5

    @Flag(help: "Print one JSON object per measurement.")
    var json = false

    func validate() throws { try require("--runs", runs, in: 1...1000) }

    func run() throws {
        let device = try options.selected()
        if cfg == "inception" {
            let rate = try InceptionBenchmark.measure(device: device, runs: runs)
            if json {
                print(#"{"cfg":"inception","device":"\#(device.spec)","runs":\#(runs),"features_img_s":\#(String(format: "%.3f", rate))}"#)
            } else {
                print("Inception-v3 features (FID, KID) on \(device), batch 16 of 64x64 images resized to 299x299, median of \(runs) runs")
                print("  features_img_s     \(String(format: "%10.3f", rate))")
            }
            try printProfile(device)
            return
        }
        if cfg == "augment" {
            let results = try AugmentBenchmark.measure(device: device, runs: runs)
            if !json { print("augmentation pipeline bgc at p = 1 on \(device), batch 16, median of \(runs) runs") }
            for r in results {
                if json {
                    print(#"{"cfg":"augment","device":"\#(device.spec)","runs":\#(runs),"resolution":\#(r.resolution),"forward_img_s":\#(String(format: "%.3f", r.forward)),"forward_backward_img_s":\#(String(format: "%.3f", r.forwardBackward))}"#)
                } else {
                    print("  \(r.resolution)x\(r.resolution)  forward_img_s \(String(format: "%10.3f", r.forward))  forward_backward_img_s \(String(format: "%10.3f", r.forwardBackward))")
                }
            }
            try printProfile(device)
            return
        }
        if let cfg {
            // Under mpirun: every rank trains its share of each batch; rank 0 reports.
            let environment = ProcessInfo.processInfo.environment
            let world = MPIWorld.launched(environment: environment) ? try MPIWorld() : nil
            defer { world?.finalize() }
            let ranks = (world?.size ?? 1) > 1 ? world : nil
            let r = try NetworkBenchmark.measure(cfg: cfg, device: ranks == nil ? device : try options.selected(localRank: ranks?.localRank),
                                                 runs: runs, world: ranks)
            guard (ranks?.rank ?? 0) == 0 else { return }
            let host = peakResidentGiB(), deviceMemory = Double(device.backend.statistics.peakBytes) / Double(1 << 30)
            var fields: [(String, Double)] = [("g_forward_img_s", r.gForward), ("iteration_img_s", r.iteration),
                                              ("r1_img_s", r.r1), ("pl_img_s", r.pathLength),
                                              ("peak_host_gib", host), ("peak_device_gib", deviceMemory)]
            if let ranks {
                fields += [("ranks", Double(ranks.size)), ("allreduce_share", r.allreduceShare),
                           ("allreduce_mb_per_iteration", Double(r.allreduceBytesPerIteration) / 1e6)]
            }
            if json {
                let values = fields.map { "\"\($0.0)\":\(String(format: "%.4f", $0.1))" }.joined(separator: ",")
                print("{\"cfg\":\"\(cfg)\",\"device\":\"\(device.spec)\",\"runs\":\(runs),\(values),\"launches_per_iteration\":\(r.launchesPerIteration),\"allocations_per_iteration\":\(r.allocationsPerIteration)}")
            } else {
                print("cfg \(cfg) on \(device), median of \(runs) runs")
                for (name, value) in fields { print("  \(name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(String(format: "%10.3f", value))") }
                print("  launches/iteration \(r.launchesPerIteration)")
                print("  buffer allocations/iteration after warm-up \(r.allocationsPerIteration)")
            }
            try printProfile(device)
            return
        }
        if !json { print("benchmarking on \(device), median of \(runs) runs") }
        for item in KernelBenchmark.standard(onCPU: device.isReference) {
            let result = try item.measure(on: device, runs: runs)
            if json {
                print(#"{"name":"\#(item.name)","gflops":\#(String(format: "%.2f", result.gflops)),"ms":\#(String(format: "%.3f", result.seconds * 1000))}"#)
            } else {
                print("\(item.name.padding(toLength: 44, withPad: " ", startingAt: 0)) \(String(format: "%8.2f", result.gflops)) GFLOP/s  \(String(format: "%9.3f", result.seconds * 1000)) ms")
            }
        }
    }
}

/// With SGAN_PROFILE=1: the device time of each kernel (the 60 largest) and in all, over everything
/// the device ran since it opened (`bench`'s measurements, `train`'s run).
func printProfile(_ device: Device) throws {
    guard let runtime = device.openCL, runtime.profiling else { return }
    let profile = try runtime.profile()
    let total = profile.reduce(0) { $0 + $1.2 }, launches = profile.reduce(0) { $0 + $1.1 }
    print("device time by kernel (SGAN_PROFILE=1), all launches together: \(String(format: "%.3f", total)) s in \(launches) launches")
    for (name, count, seconds) in profile.prefix(60) {
        print("  \(String(format: "%8.3f", seconds)) s  \(String(format: "%6d", count))x  \(name)")
    }
}

/// One timed op with its floating-point operation count.
struct KernelBenchmark {
    let name: String
    let flops: Double
    let inputs: [[Int]]
    let body: ([Tensor]) throws -> Tensor

    /// Matmul and conv2d shapes of StyleGAN2's layers (a 512-channel 3×3 conv at 16×16, a mapping layer).
    static func standard(onCPU: Bool) -> [KernelBenchmark] {
        // The reference backend is for correctness; give it shapes it finishes in seconds.
        let s = onCPU ? 8 : 1
        func matmul(_ m: Int, _ n: Int, _ k: Int) -> KernelBenchmark {
            KernelBenchmark(name: "matmul \(m)x\(k) * \(k)x\(n)", flops: 2.0 * Double(m * n * k), inputs: [[m, k], [k, n]]) {
                try $0[0].matmul($0[1])
            }
        }
        func conv(_ n: Int, _ c: Int, _ o: Int, _ hw: Int, _ k: Int) -> KernelBenchmark {
            KernelBenchmark(
                name: "conv2d \(k)x\(k) \(c)->\(o) at \(hw)x\(hw), batch \(n)",
                flops: 2.0 * Double(n * o * hw * hw * c * k * k), inputs: [[n, c, hw, hw], [o, c, k, k]]
            ) { try $0[0].conv2d($0[1], padding: (k / 2, k / 2)) }
        }
        return [
            matmul(1024 / s, 1024 / s, 1024 / s),
            matmul(512 / s, 512 / s, 512 / s),
            matmul(8, 512, 512),
            matmul(512 / s, 1024 / s, 4608 / s),
            conv(4 / min(s, 4), 512 / s, 512 / s, 16, 3),
            conv(4 / min(s, 4), 256 / s, 256 / s, 32, 3),
            conv(4 / min(s, 4), 512 / s, 3, 32, 1),
        ]
    }

    /// Median seconds of `runs` timed runs after one warm-up run.
    func measure(on device: Device, runs: Int) throws -> (seconds: Double, gflops: Double) {
        let tensors = try inputs.enumerated().map { i, shape in
            try Tensor.uniform(shape, seed: UInt64(i + 1), on: device)
        }
        let median = try medianSeconds(on: device, runs: runs) { _ = try body(tensors) }
        return (median, flops / median / 1e9)
    }
}

/// Median wall-clock seconds of `runs` runs of `body`, each waited for on the device, after one
/// warm-up run.
func medianSeconds(on device: Device, runs: Int, _ body: () throws -> Void) throws -> Double {
    try body()
    try device.backend.synchronize()
    var times: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        try device.backend.synchronize()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return times.sorted()[times.count / 2]
}

/// Peak resident memory of this process in GiB (VmHWM of /proc/self/status).
func peakResidentGiB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kib / Double(1 << 20)
}
