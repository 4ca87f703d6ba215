import Foundation
import Tensors

/// Batches of training images, prepared on a background thread: a shuffled order per epoch
/// drawn from the seed, optional x-flips, and uint8 → [-1, 1] (`x / 127.5 − 1`) in NCHW.
///
/// Image n of the run (counting every image shown) is a function of (seed, n) alone, so a resumed
/// run reads exactly the images the uninterrupted run would have read, whatever the batch sizes.
public final class Prefetcher: @unchecked Sendable {  // shared state behind `condition`; `permutation` is the thread's own
    public let dataset: ImageDataset
    public let sizes: BatchSizes
    public let mirror: Bool
    public let seed: UInt64
    private var next: Int
    private var ready: [Int: (size: Int, values: Result<[Float], Error>)] = [:]
    private let condition = NSCondition()
    private let depth = 3
    private var stopped = false
    private var produced: Int
    /// Where the next batch to prepare starts (images shown before it) and its size.
    private var producedNimg: Int
    private var producedSize: Int
    /// Files that could not be read, with the reason (each is skipped; the run goes on).
    private var skipped: [String: String] = [:]
    private var reported = Set<String>()
    /// The shuffled order of the current epoch (used by the background thread only).
    private var permutation: (epoch: Int, order: [Int])? = nil

    /// Starts preparing batches of `batchSize` images from batch number `start`.
    public convenience init(dataset: ImageDataset, batchSize: Int, mirror: Bool, seed: UInt64, start: Int = 0) {
        self.init(dataset: dataset, sizes: .constant(batchSize), mirror: mirror, seed: seed, startBatch: start, startNimg: start * batchSize)
    }

    /// Starts preparing batches from batch number `startBatch`, which begins after `startNimg` images.
    public init(dataset: ImageDataset, sizes: BatchSizes, mirror: Bool, seed: UInt64, startBatch: Int, startNimg: Int) {
        self.dataset = dataset
        self.sizes = sizes
        self.mirror = mirror
        self.seed = seed
        next = startBatch
        produced = startBatch
        producedNimg = startNimg
        producedSize = sizes.first
        // The thread holds the prefetcher only while preparing a batch, so that releasing it stops the thread.
        let thread = Thread { [weak self] in
            while let prefetcher = self, prefetcher.prepareNext() {}
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    deinit { stop() }

    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Prepares one batch when there is room; false once stopped.
    private func prepareNext() -> Bool {
        condition.lock()
        while !stopped && produced - next >= depth { _ = condition.wait(until: Date().addingTimeInterval(0.5)) }
        if stopped {
            condition.unlock()
            return false
        }
        let (batch, nimg, size) = (produced, producedNimg, producedSize)
        condition.unlock()
        let result = Result { try self.batchValues(nimg: nimg, size: size) }
        condition.lock()
        ready[batch] = (size, result)
        produced += 1
        producedNimg += size
        producedSize = sizes.next(produced, producedNimg, size)
        condition.broadcast()
        condition.unlock()
        return true
    }

    /// The `size` images after the first `nimg` as floats `[size, C, R, R]`.
    func batchValues(nimg: Int, size: Int) throws -> [Float] {
        let (r, c) = (dataset.resolution, dataset.channels)
        var out = [Float](repeating: 0, count: size * c * r * r)
        for i in 0..<size {
            let n = nimg + i
            let epoch = n / dataset.count
            if permutation?.epoch != epoch {
                var order = Array(0..<dataset.count)
                var random = SeededGenerator(seed: seed &* 0x2545_F491_4F6C_DD1D &+ UInt64(epoch))
                order.shuffle(using: &random)
                permutation = (epoch, order)
            }
            let index = permutation!.order[n % dataset.count]
            var flipRandom = SeededGenerator(seed: seed ^ UInt64(n) &* 0x9E37_79B9_7F4A_7C15)
            let flip = mirror && flipRandom.next() & 1 == 1
            let pixels = try dataset.readablePixels(from: index) { skippedIndex, error in
                self.condition.lock()
                self.skipped["\(skippedIndex)"] = "\(error)"
                self.condition.unlock()
            }
            let image = planarFloats(pixels, resolution: r, channels: c, divisor: 127.5, offset: -1, flip: flip)
            out.replaceSubrange((i * c * r * r)..<((i + 1) * c * r * r), with: image)
        }
        return out
    }

    /// Skipped files not yet reported (each is reported once).
    public func newlySkipped() -> [String] {
        condition.lock()
        defer { condition.unlock() }
        let fresh = skipped.filter { !reported.contains($0.key) }
        reported.formUnion(fresh.keys)
        return fresh.values.sorted()
    }

    /// The next batch `[batch, C, R, R]` on `device`; waits when the background thread is behind.
    public func nextBatch(on device: Device) throws -> Tensor {
        condition.lock()
        while ready[next] == nil { condition.wait() }
        let result = ready.removeValue(forKey: next)!
        next += 1
        condition.broadcast()
        condition.unlock()
        return try Tensor(result.values.get(), shape: [result.size, dataset.channels, dataset.resolution, dataset.resolution], on: device)
    }
}

/// The number of images in each batch of a run: `first` for the batch a prefetcher starts at, then
/// `next(batch index, images shown before it, the previous batch's size)` for each following one.
public struct BatchSizes: Sendable {
    public var first: Int
    public var next: @Sendable (_ batchIndex: Int, _ nimg: Int, _ previous: Int) -> Int

    public init(first: Int, next: @escaping @Sendable (_ batchIndex: Int, _ nimg: Int, _ previous: Int) -> Int) {
        self.first = first
        self.next = next
    }

    /// The same size throughout.
    public static func constant(_ size: Int) -> BatchSizes { BatchSizes(first: size) { _, _, _ in size } }
}
