import Foundation

/// Seed lists as users write them: `0-7,12` (ranges inclusive).
public enum SeedList {
    /// Parses `text`; throws a message naming the bad part.
    public static func parse(_ text: String) throws -> [UInt32] {
        var seeds: [UInt32] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard !part.isEmpty, bounds.count <= 2, let low = UInt32(bounds[0]), let high = UInt32(bounds.last!) else {
                throw RenderError.badArgument("--seeds: '\(part)' in '\(text)' is not a seed or a range like 0-7 (seeds are 0 to 4294967295)")
            }
            guard low <= high else {
                throw RenderError.badArgument("--seeds: range '\(part)' runs backwards; write \(high)-\(low)")
            }
            guard high - low < 1_000_000, seeds.count + Int(high - low) < 1_000_000 else {
                throw RenderError.badArgument("--seeds: '\(text)' names over a million seeds")
            }
            seeds.append(contentsOf: low...high)
        }
        return seeds
    }
}

/// A bad argument or input of rendering, as one line.
public enum RenderError: Error, CustomStringConvertible {
    case badArgument(String)

    public var description: String {
        switch self {
        case .badArgument(let message): return message
        }
    }
}
