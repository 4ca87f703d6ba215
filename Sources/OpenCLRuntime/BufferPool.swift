import Foundation

/// Reuses device buffers by size, so that a training step that repeats the same shapes
/// allocates nothing after its first run.
///
/// A `PooledBuffer` hands its buffer back to the pool when it is released. The queue is
/// in order, so a buffer handed back while kernels still read it can be given out again at
/// once: whatever writes it next is enqueued after those kernels.
public final class BufferPool: @unchecked Sendable {  // mutable state behind `lock`
    private let context: CLContext
    private var free: [Int: [CLBuffer]] = [:]
    private let lock = NSLock()

    /// Counters for tests and `bench`.
    public struct Statistics: Equatable {
        /// `clCreateBuffer` calls so far.
        public var allocations = 0
        /// Requests served from the pool.
        public var reuses = 0
        /// Bytes of all live buffers (handed out or cached).
        public var bytesAllocated = 0
        /// The largest `bytesAllocated` seen.
        public var peakBytes = 0
    }
    private var counters = Statistics()
    /// The counters, read under the pool's lock.
    public var statistics: Statistics {
        lock.lock()
        defer { lock.unlock() }
        return counters
    }

    init(context: CLContext) { self.context = context }

    /// Buffers are bucketed by size: rounded up to 256 bytes up to 64 KiB, above that to an eighth of
    /// the size's power of two (at most 12.5% more), so that shapes that vary from step to step (the
    /// augmentation's padding) share a bounded number of buckets instead of caching one per size.
    static func bucket(_ bytes: Int) -> Int {
        guard bytes > 65536 else { return max(256, (bytes + 255) / 256 * 256) }
        let step = (1 << (Int.bitWidth - 1 - bytes.leadingZeroBitCount)) / 8
        return (bytes + step - 1) / step * step
    }

    /// A buffer of at least `byteCount` bytes, from the pool when one of that size is free.
    public func buffer(byteCount: Int) throws -> PooledBuffer {
        let size = BufferPool.bucket(byteCount)
        lock.lock()
        if let buffer = free[size]?.popLast() {
            counters.reuses += 1
            lock.unlock()
            return PooledBuffer(buffer: buffer, pool: self)
        }
        lock.unlock()
        let buffer: CLBuffer
        do {
            buffer = try CLBuffer(context: context, byteCount: size)
        } catch {
            // Out of memory: drop what the pool caches and try once more.
            trim()
            do {
                buffer = try CLBuffer(context: context, byteCount: size)
            } catch let error as CLError {
                lock.lock()
                let inUse = counters.bytesAllocated
                lock.unlock()
                throw CLError(call: "clCreateBuffer(\(size) bytes, with \(inUse >> 20) MiB of buffers in use)", status: error.status)
            }
        }
        lock.lock()
        counters.allocations += 1
        counters.bytesAllocated += size
        counters.peakBytes = max(counters.peakBytes, counters.bytesAllocated)
        lock.unlock()
        return PooledBuffer(buffer: buffer, pool: self)
    }

    /// Releases every cached (free) buffer.
    public func trim() {
        lock.lock()
        for (size, list) in free { counters.bytesAllocated -= size * list.count }
        free.removeAll()
        lock.unlock()
    }

    fileprivate func giveBack(_ buffer: CLBuffer) {
        lock.lock()
        free[buffer.byteCount, default: []].append(buffer)
        lock.unlock()
    }
}

/// A device buffer on loan from a `BufferPool`; it goes back to the pool on release.
public final class PooledBuffer {
    public let buffer: CLBuffer
    private let pool: BufferPool

    init(buffer: CLBuffer, pool: BufferPool) {
        self.buffer = buffer
        self.pool = pool
    }

    deinit { pool.giveBack(buffer) }
}
