import Foundation
import Tensors

/// Where training phases report their scalars.
public protocol TickStatisticsRecorder {
    func report(_ name: String, _ value: Tensor) throws
}

/// Scalars collected during a tick without reading them back each step: sums stay on the
/// device and are read once, when the tick is reported.
final class TickStatistics: TickStatisticsRecorder {
    private var sums: [String: Tensor] = [:]
    private var counts: [String: Int] = [:]
    private var order: [String] = []

    /// Adds the mean of `value` under `name`.
    func report(_ name: String, _ value: Tensor) throws {
        let mean = try GradMode.disabled { try value.detached().mean() }
        if let sum = sums[name] {
            sums[name] = try sum + mean
        } else {
            sums[name] = mean
            order.append(name)
        }
        counts[name, default: 0] += 1
    }

    /// The means since the last reset, read from the device; then starts over.
    func collect() throws -> [(String, Double)] {
        let result = try order.map { name in (name, Double(try sums[name]!.item()) / Double(counts[name]!)) }
        sums.removeAll()
        counts.removeAll()
        order.removeAll()
        return result
    }
}
