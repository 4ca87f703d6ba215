import Foundation
import Networks
import SafeTensors
import Tensors

/// What a training snapshot holds beside the networks: `train.opt.<G|D>.<m|v>.<key>` Adam moments,
/// other `train.*` tensors, and the counters (`sgan.train_state`) and options as metadata.
enum Snapshot {
    /// The moments of `optimizer` over `parameters` (the keys and parameters it steps), named for the snapshot.
    static func optimizerTensors(_ name: String, _ optimizer: Adam, _ parameters: [(String, Parameter)]) -> [(String, Tensor)] {
        zip(parameters, optimizer.moments).flatMap { entry, moments in
            [("train.opt.\(name).m.\(entry.0)", moments.m), ("train.opt.\(name).v.\(entry.0)", moments.v)]
        }
    }

    /// A snapshot file opened for resuming: its counters and its `train.*` tensors. Opening one
    /// refuses a file without the training state first (a network file cannot be resumed,
    /// whatever its configuration).
    struct Reader {
        let path: String
        let file: SafeTensorsFile
        let state: TrainState
        let device: Device

        init(path: String, device: Device) throws {
            self.path = path
            self.device = device
            file = try SafeTensorsFile(path: path)
            state = try TrainState(metadata: file.metadata, path: path)
        }

        func tensor(_ name: String) throws -> Tensor {
            guard let entry = file.entry(name) else { throw TrainingError.snapshotTensorMissing(path: path, tensor: name) }
            return try Tensor(file.floats(name), shape: entry.shape, on: device)
        }

        /// Restores `optimizer` (over `parameters`) to the saved step and moments.
        func restore(_ optimizer: Adam, named name: String, over parameters: [(String, Parameter)], step: Int) throws {
            try optimizer.restore(step: step, moments: try parameters.map { key, _ in
                (try tensor("train.opt.\(name).m.\(key)"), try tensor("train.opt.\(name).v.\(key)"))
            })
        }
    }

    /// Resuming from `snapshot`: the saved networks' weights (G, D, G_ema as read from it) copied
    /// into the live ones, and both optimizers restored.
    static func resume(_ snapshot: Reader, networks: [(saved: Layer, live: Layer)],
                       optG: Adam, G: [(String, Parameter)], optD: Adam, D: [(String, Parameter)]) throws {
        for (saved, live) in networks { try copyWeights(from: saved, to: live) }
        try snapshot.restore(optG, named: "G", over: G, step: snapshot.state.optGStep)
        try snapshot.restore(optD, named: "D", over: D, step: snapshot.state.optDStep)
    }

    /// Copies every parameter and buffer of `source` into `destination` (same configuration): new
    /// storage, so that optimizer steps on one (in place) never reach the other.
    static func copyWeights(from source: Layer, to destination: Layer) throws {
        try destination.load(Dictionary(uniqueKeysWithValues: try source.stateDict().map { ($0.0, try $0.1.copy()) }))
    }
}
