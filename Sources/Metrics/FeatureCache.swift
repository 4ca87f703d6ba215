import Foundation
import SafeTensors

/// Inception features of real images kept on disk between runs, keyed by the SHA-256 of the images'
/// content, of the weights file, and by the number of images: a second metric run on the same
/// dataset reads them instead of computing them again.
public struct FeatureCache: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// The default folder: `$XDG_CACHE_HOME/sgan-gpu`, else `~/.cache/sgan-gpu` (the caller reads the
    /// environment and passes it in).
    public static func defaultDirectory(environment: [String: String]) -> String {
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return (xdg as NSString).appendingPathComponent("sgan-gpu") }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSTemporaryDirectory()
        return (home as NSString).appendingPathComponent(".cache/sgan-gpu")
    }

    func path(images: String, weights: String, count: Int) -> String {
        var key = SHA256()
        key.update(field: "inception-v3 pool3 features, version 1")
        key.update(field: images)
        key.update(field: weights)
        key.update(field: String(count))
        return (directory as NSString).appendingPathComponent("features-\(key.hexDigest().prefix(24)).safetensors")
    }

    /// The cached features `[count, 2048]`, or nil when there are none (or they cannot be read).
    func load(images: String, weights: String, count: Int) -> [Float]? {
        let file = path(images: images, weights: weights, count: count)
        guard FileManager.default.fileExists(atPath: file), let stored = try? SafeTensorsFile(path: file),
              stored.entry("features")?.shape == [count, InceptionV3.featureCount],
              stored.metadata["images_sha256"] == images, stored.metadata["weights_sha256"] == weights,
              let features = try? stored.floats("features") else { return nil }
        return features
    }

    /// Stores `features`; a cache that cannot be written is skipped (the metric does not depend on it).
    func store(_ features: [Float], images: String, weights: String, count: Int) {
        let file = path(images: images, weights: weights, count: count)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var writer = SafeTensorsWriter(metadata: ["images_sha256": images, "weights_sha256": weights, "count": String(count)])
            writer.add("features", shape: [count, InceptionV3.featureCount], values: features)
            try writer.write(to: file)
        } catch {
            // Not cached: computed again next time.
        }
    }
}
