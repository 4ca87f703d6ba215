import CMPI
import Foundation

/// The processes of a run started by `mpirun` (MPI's `MPI_COMM_WORLD`): this process's rank, the
/// number of ranks, its place among the ranks on its host, and the collective operations the
/// training loop needs. Every collective must be called by every rank in the same order.
///
/// A process started without `mpirun` never touches MPI (`MPIWorld.launched` is false): it needs
/// no process manager and runs as one rank.
public final class MPIWorld: @unchecked Sendable {  // MPI is used from the training thread only
    public let rank: Int
    public let size: Int
    /// The rank among the ranks on this host (`MPI_COMM_TYPE_SHARED`), and how many share the host.
    public let localRank: Int
    public let localSize: Int
    private let world: MPI_Comm

    /// Whether this process was started by an MPI launcher (Open MPI's `mpirun`, or another PMIx launcher).
    public static func launched(environment: [String: String]) -> Bool {
        ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"].contains { environment[$0] != nil }
    }

    /// Initialises MPI (once per process) and reads this process's place. Errors come back as
    /// `MPIError` instead of aborting the job.
    public init() throws {
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            try Self.check(MPI_Init(nil, nil), "MPI_Init")
        }
        world = sgan_mpi_comm_world()
        MPI_Comm_set_errhandler(world, sgan_mpi_errors_return())
        var value: Int32 = 0
        try Self.check(MPI_Comm_rank(world, &value), "MPI_Comm_rank")
        rank = Int(value)
        try Self.check(MPI_Comm_size(world, &value), "MPI_Comm_size")
        size = Int(value)
        var local = sgan_mpi_comm_null()
        try Self.check(MPI_Comm_split_type(world, sgan_mpi_comm_type_shared(), value, sgan_mpi_info_null(), &local), "MPI_Comm_split_type")
        try Self.check(MPI_Comm_rank(local, &value), "MPI_Comm_rank (host)")
        localRank = Int(value)
        try Self.check(MPI_Comm_size(local, &value), "MPI_Comm_size (host)")
        localSize = Int(value)
        MPI_Comm_free(&local)
    }

    static func check(_ status: Int32, _ call: String) throws {
        guard status == MPI_SUCCESS else {
            var length: Int32 = 0
            var text = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
            MPI_Error_string(status, &text, &length)
            let message = String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw MPIError.failed(call: call, code: Int(status), message: message)
        }
    }

    /// Sums `values` over all ranks, in place (`MPI_Allreduce`).
    public func allreduceSum(_ values: inout [Float]) throws {
        let count = Int32(values.count)
        try values.withUnsafeMutableBytes { buffer in
            try Self.check(MPI_Allreduce(sgan_mpi_in_place(), buffer.baseAddress, count, sgan_mpi_float(), sgan_mpi_sum(), world),
                           "MPI_Allreduce (\(count) floats)")
        }
    }

    /// Sums `values` over all ranks, in place, in double precision.
    public func allreduceSum(_ values: inout [Double]) throws {
        let count = Int32(values.count)
        try values.withUnsafeMutableBytes { buffer in
            try Self.check(MPI_Allreduce(sgan_mpi_in_place(), buffer.baseAddress, count, sgan_mpi_double(), sgan_mpi_sum(), world),
                           "MPI_Allreduce (\(count) doubles)")
        }
    }

    /// The largest of each element over all ranks, in place.
    public func allreduceMax(_ values: inout [Double]) throws {
        let count = Int32(values.count)
        try values.withUnsafeMutableBytes { buffer in
            try Self.check(MPI_Allreduce(sgan_mpi_in_place(), buffer.baseAddress, count, sgan_mpi_double(), sgan_mpi_max(), world),
                           "MPI_Allreduce max (\(count) doubles)")
        }
    }

    /// Rank `root`'s `values` on every rank (`MPI_Bcast`); every rank passes a buffer of the same size.
    public func broadcast(_ values: inout [Float], root: Int = 0) throws {
        let count = Int32(values.count)
        try values.withUnsafeMutableBytes { buffer in
            try Self.check(MPI_Bcast(buffer.baseAddress, count, sgan_mpi_float(), Int32(root), world), "MPI_Bcast (\(count) floats)")
        }
    }

    /// Every rank's `values` (the same count on every rank), in rank order (`MPI_Allgather`).
    public func allgather(_ values: [Double]) throws -> [[Double]] {
        var all = [Double](repeating: 0, count: values.count * size)
        let count = Int32(values.count)
        try values.withUnsafeBytes { send in
            try all.withUnsafeMutableBytes { receive in
                try Self.check(MPI_Allgather(send.baseAddress, count, sgan_mpi_double(), receive.baseAddress, count, sgan_mpi_double(), world),
                               "MPI_Allgather (\(count) doubles)")
            }
        }
        return (0..<size).map { Array(all[($0 * values.count)..<(($0 + 1) * values.count)]) }
    }

    /// Shuts MPI down (every rank, after the last collective).
    public func finalize() {
        MPI_Finalize()
    }
}

/// An MPI call that failed, with the library's message.
public enum MPIError: Error, CustomStringConvertible, Equatable {
    case failed(call: String, code: Int, message: String)

    public var description: String {
        switch self {
        case .failed(let call, let code, let message):
            return "\(call) failed with MPI error \(code) (\(message)); another rank has probably stopped: see its message above"
        }
    }
}
