import Distributed
import Foundation
import Networks
import Tensors

// Training across MPI ranks: each rank runs its share of a phase's rounds; gradients are summed
// over the ranks in one flat buffer; w_avg, pl_mean and ADA's statistics follow the sequence of
// rounds one process would go through, so the result does not depend on the number of ranks.

extension StyleGAN2Trainer {
    /// The rounds of a phase this rank runs: all of them alone, else an equal share in rank order.
    var ownRounds: Range<Int> {
        let rounds = preset.batch / batchGPU
        guard let world, world.size > 1 else { return 0..<rounds }
        let share = rounds / world.size
        return world.rank * share ..< (world.rank + 1) * share
    }

    /// Sums `tensors` over the ranks through one host buffer (`MPI_Allreduce` in place); unchanged alone.
    func allreduceSum(_ tensors: [Tensor]) throws -> [Tensor] {
        guard let world, world.size > 1 else { return tensors }
        let start = Date()
        // One host buffer, kept from step to step.
        allreduceBuffer.removeAll(keepingCapacity: true)
        for t in tensors { allreduceBuffer.append(contentsOf: try t.toArray()) }
        try world.allreduceSum(&allreduceBuffer)
        var offset = 0
        let summed = try tensors.map { t in
            defer { offset += t.count }
            return try Tensor(Array(allreduceBuffer[offset..<(offset + t.count)]), shape: t.shape, on: device)
        }
        allreduceSeconds += Date().timeIntervalSince(start)
        allreduceBytes += allreduceBuffer.count * 4
        return summed
    }

    /// Rank 0's parameters and buffers of G, D and G_ema on every rank.
    func broadcastNetworks() throws {
        guard let world, world.size > 1 else { return }
        func broadcast(_ tensor: Tensor) throws -> Tensor {
            var values = try tensor.toArray()
            try world.broadcast(&values)
            return try Tensor(values, shape: tensor.shape, on: device)
        }
        for network in [G as Layer, D, G_ema] {
            for (_, parameter) in network.namedParameters() { try parameter.assign(broadcast(parameter.value)) }
            for (_, buffer) in network.namedBuffers() { buffer.value = try broadcast(buffer.value) }
        }
    }

    /// w_avg after the rounds of a phase whose batch means of w (one `[w_dim]` per own round) are
    /// `means`: the official update `w_avg ← lerp(mean, w_avg, β)` applied for every round of the
    /// batch in order, with the means of the other ranks' rounds gathered.
    func trackWAvg(_ means: [Tensor]) throws {
        guard let world, world.size > 1 else { return }
        let local = try means.flatMap { try $0.toArray().map(Double.init) }
        let wDim = G.config.wDim
        var wAvg = try G.mapping.wAvg.value.toArray().map(Double.init)
        let beta = G.mapping.wAvgBeta
        for rank in try world.allgather(local) {
            for round in 0..<(rank.count / wDim) {
                for k in 0..<wDim {
                    let mean = Double(Float(rank[round * wDim + k]))
                    wAvg[k] = Double(Float(mean + beta * (wAvg[k] - mean)))
                }
            }
        }
        G.mapping.wAvg.value = try Tensor(wAvg, shape: [wDim], on: device)
    }

    /// The running mean of path lengths before each round of the batch and after the last, from the
    /// batch means of the path lengths of every round (gathered over the ranks in round order):
    /// `pl_mean ← lerp(pl_mean, mean, decay)` as one process steps through its rounds.
    func plMeanSequence(ownMeans: [Double]) throws -> [Double] {
        let all = try world.map { try $0.allgather(ownMeans).flatMap { $0 } } ?? ownMeans
        var sequence = [Double(try plMean.item())]
        for mean in all { sequence.append(Double(Float(sequence.last! + plDecay * (mean - sequence.last!)))) }
        return sequence
    }

    /// Before a tick's maintenance, on every rank: ADA's signs gathered since the last adjustment are
    /// summed over the ranks and kept by rank 0 alone, so that a snapshot (which rank 0 writes) holds
    /// the whole batch's, and the next adjustment's sum over the ranks still counts each sign once.
    func foldAdaSigns() throws {
        guard let world, world.size > 1, augment?.target != nil else { return }
        let signs = try adaSignTotals()
        let keep = world.rank == 0 && signs.count > 0
        adaSignSum = keep ? try Tensor([signs.sum], shape: [], on: device) : nil
        adaSignCount = keep ? Int(signs.count) : 0
    }

    /// The sum of ADA's signs since the last adjustment and their count, over all ranks.
    func adaSignTotals() throws -> (sum: Double, count: Double) {
        var signs = [try adaSignSum.map { Double(try $0.item()) } ?? 0, Double(adaSignCount)]
        if let world, world.size > 1 { try world.allreduceSum(&signs) }
        return (signs[0], signs[1])
    }
}
