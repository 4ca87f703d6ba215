import Distributed
import Foundation
import Tensors

/// The statistics the training phases report, with the official `training_stats` names.
public enum Statistic: String, CaseIterable, Sendable {
    case scoresFake = "Loss/scores/fake", signsFake = "Loss/signs/fake", gLoss = "Loss/G/loss"
    case plPenalty = "Loss/pl_penalty", gReg = "Loss/G/reg"
    case scoresReal = "Loss/scores/real", signsReal = "Loss/signs/real", dLoss = "Loss/D/loss"
    case r1Penalty = "Loss/r1_penalty", dReg = "Loss/D/reg"

    /// The phase that reports it (fake scores also come from Dmain, as in the official loss).
    public var phase: StyleGAN2Trainer.Phase {
        switch self {
        case .scoresFake, .signsFake, .gLoss: return .Gmain
        case .plPenalty, .gReg: return .Greg
        case .scoresReal, .signsReal, .dLoss: return .Dmain
        case .r1Penalty, .dReg: return .Dreg
        }
    }
}

/// Where training phases report their statistics.
public protocol TickStatisticsRecorder {
    func report(_ statistic: Statistic, _ value: Tensor) throws
}

/// Statistics collected during a tick without reading them back each step, as the official
/// `training_stats`: every element reported under a name counts, and the sums of the elements and
/// of their squares stay on the device until the tick is reported.
final class TickStatistics: TickStatisticsRecorder {
    /// Per name: the sum and the sum of squares `[2]`, and the number of elements.
    private var sums: [Statistic: Tensor] = [:]
    private var counts: [Statistic: Int] = [:]
    private var order: [Statistic] = []

    /// A statistic over a tick: elements, mean and standard deviation (population).
    struct Moments: Equatable {
        var num: Int
        var mean: Double
        var std: Double
    }

    /// Adds every element of `value` under `name`.
    func report(_ name: Statistic, _ value: Tensor) throws {
        let count = value.shape.reduce(1, *)
        let moments = try GradMode.disabled {
            let x = try value.detached().reshape([count])
            return try Tensor.concat([x.sum().reshape([1]), x.square().sum().reshape([1])], axis: 0)
        }
        if let sum = sums[name] {
            sums[name] = try sum + moments
        } else {
            sums[name] = moments
            order.append(name)
        }
        counts[name, default: 0] += count
    }

    /// The statistics since the last reset, in the order first reported, read from the device;
    /// then starts over.
    /// Across MPI ranks (`world`), every rank calls it and gets the statistics of all ranks' samples.
    func collect(world: MPIWorld? = nil) throws -> [(Statistic, Moments)] {
        var flat = try order.flatMap { name in try sums[name]!.toArray().map(Double.init) + [Double(counts[name]!)] }
        if let world, world.size > 1 { try world.allreduceSum(&flat) }
        let result = order.enumerated().map { i, name -> (Statistic, Moments) in
            let (sum, squares, n) = (flat[3 * i], flat[3 * i + 1], flat[3 * i + 2])
            let mean = sum / n
            return (name, Moments(num: Int(n), mean: mean, std: Swift.max(squares / n - mean * mean, 0).squareRoot()))
        }
        sums.removeAll()
        counts.removeAll()
        order.removeAll()
        return result
    }
}

extension Tensor {
    /// The sign of each element (−1, 0 or 1) for the `Loss/signs/*` statistics: `clamp(x·10³⁰, −1, 1)`,
    /// exact for every |x| ≥ 10⁻³⁰ and for 0.
    func statisticSign() throws -> Tensor {
        try GradMode.disabled { try (detached() * 1e30).clamp(min: -1, max: 1) }
    }
}
