import Foundation

/// A safetensors file: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, an optional `__metadata__` of strings, then the data.
///
/// Reading checks everything (header length, JSON, dtypes, shapes, offsets inside the file,
/// overlaps) and reports the first problem with the file name and the tensor it concerns.
public struct SafeTensorsFile {
    /// One tensor's entry in the header.
    public struct Entry: Equatable {
        public var name: String
        /// The safetensors dtype name (`F32`, `F16`, `BF16`, `F64`).
        public var dtype: String
        public var shape: [Int]
        /// Byte range inside the data section.
        public var range: Range<Int>

        public var count: Int { shape.reduce(1, *) }
    }

    /// Where the file came from, for error messages.
    public let path: String
    /// The `__metadata__` strings.
    public let metadata: [String: String]
    /// Entries in the order of their data offsets.
    public let entries: [Entry]
    private let data: Data
    private let dataStart: Int
    private let index: [String: Int]

    /// Bytes per element of the dtypes this reader converts to Float.
    public static let dtypeSizes: [String: Int] = ["F32": 4, "F16": 2, "BF16": 2, "F64": 8]

    /// Reads and checks the file at `path`.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw SafeTensorsError(path: path, exists ? "cannot be read (check its permissions)" : "does not exist")
        }
        try self.init(data: data, path: path)
    }

    /// Parses and checks `data`; `path` names it in errors.
    public init(data: Data, path: String = "<memory>") throws {
        self.path = path
        self.data = data
        func fail(_ message: String) -> SafeTensorsError { SafeTensorsError(path: path, message) }
        if data.count >= 2, data[data.startIndex] == 0x80, (2...5).contains(data[data.startIndex + 1]) {
            throw fail("is a Python pickle (an official network-snapshot-*.pkl?), not a safetensors file: convert it with `python3 tools/convert_official.py \(path) network.safetensors` and use that file")
        }
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            throw fail("is a zip archive (a PyTorch .pt/.pth file?), not a safetensors file: convert a stylegan2-ada-pytorch state_dict with `python3 tools/convert_official.py \(path) network.safetensors` and use that file")
        }
        guard data.count >= 8 else {
            throw fail("is \(data.count) bytes long, too short for a safetensors file (8-byte header length, then a JSON header)")
        }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("declares a \(headerLength)-byte header but has only \(data.count - 8) bytes after the length: not a safetensors file, or truncated")
        }
        guard headerLength <= 100_000_000 else { throw fail("declares a header of \(headerLength) bytes (over 100 MB): not a safetensors file") }
        dataStart = 8 + Int(headerLength)
        let headerBytes = data.subdata(in: 8..<dataStart)
        guard let json = try? JSONSerialization.jsonObject(with: headerBytes), let header = json as? [String: Any] else {
            throw fail("has a header that is not a JSON object: not a safetensors file, or corrupt")
        }
        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let object = raw as? [String: Any] else { throw fail("has a __metadata__ that is not an object of strings") }
            for (key, value) in object {
                guard let string = value as? String else { throw fail("has a __metadata__ value for '\(key)' that is not a string") }
                metadata[key] = string
            }
        }
        self.metadata = metadata

        let dataLength = data.count - dataStart
        var entries: [Entry] = []
        for (name, raw) in header where name != "__metadata__" {
            guard let object = raw as? [String: Any] else { throw fail("tensor '\(name)': header entry is not an object") }
            guard let dtype = object["dtype"] as? String else { throw fail("tensor '\(name)': no dtype") }
            guard let size = Self.dtypeSizes[dtype] else {
                throw fail("tensor '\(name)': dtype \(dtype) is not supported (F32, F16, BF16 and F64 are); convert the file to float32")
            }
            guard let shapeValues = object["shape"] as? [Any], let shape = Self.integers(shapeValues), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor '\(name)': shape is not a list of non-negative integers")
            }
            guard let offsetValues = object["data_offsets"] as? [Any], let offsets = Self.integers(offsetValues), offsets.count == 2 else {
                throw fail("tensor '\(name)': data_offsets is not a pair of integers")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataLength else {
                throw fail("tensor '\(name)': data_offsets [\(begin), \(end)] lie outside the \(dataLength) data bytes (truncated file?)")
            }
            let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
            guard count != Int.max, !overflow, end - begin == bytes else {
                throw fail("tensor '\(name)': \(end - begin) bytes for shape \(shape) of \(dtype), which needs \(count == Int.max || overflow ? "too many" : "\(bytes)")")
            }
            entries.append(Entry(name: name, dtype: dtype, shape: shape, range: begin..<end))
        }
        entries.sort { ($0.range.lowerBound, $0.name) < ($1.range.lowerBound, $1.name) }
        for (a, b) in zip(entries, entries.dropFirst()) where a.range.upperBound > b.range.lowerBound && !b.range.isEmpty {
            throw fail("tensors '\(a.name)' and '\(b.name)' overlap in the data section")
        }
        self.entries = entries
        index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    static func integers(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for value in values {
            guard let number = value as? NSNumber, let int = Int(exactly: number.doubleValue) else { return nil }
            out.append(int)
        }
        return out
    }

    /// The entry named `name`, if present.
    public func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// The names of all tensors, in data order.
    public var names: [String] { entries.map(\.name) }

    /// The elements of tensor `name` as Float (F16, BF16 and F64 are converted).
    public func floats(_ name: String) throws -> [Float] {
        guard let entry = entry(name) else { throw SafeTensorsError(path: path, "has no tensor '\(name)'") }
        let bytes = data.subdata(in: (dataStart + entry.range.lowerBound)..<(dataStart + entry.range.upperBound))
        return bytes.withUnsafeBytes { raw in
            switch entry.dtype {
            case "F32": return (0..<entry.count).map { Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian) }
            case "F64": return (0..<entry.count).map { Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self).littleEndian)) }
            case "BF16": return (0..<entry.count).map { Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self).littleEndian) << 16) }
            default: return (0..<entry.count).map { Self.halfToFloat(raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self).littleEndian) }
            }
        }
    }

    static func halfToFloat(_ h: UInt16) -> Float {
        let sign: Float = h & 0x8000 != 0 ? -1 : 1
        let exponent = Int((h >> 10) & 0x1F), mantissa = Float(h & 0x3FF)
        switch exponent {
        case 0: return sign * mantissa * pow(2, -24)
        case 31: return mantissa == 0 ? sign * .infinity : .nan
        default: return sign * (1 + mantissa / 1024) * pow(2, Float(exponent - 15))
        }
    }
}

/// A safetensors file to write: tensors in the order added, float32, with string metadata.
public struct SafeTensorsWriter {
    public var metadata: [String: String] = [:]
    private var tensors: [(name: String, shape: [Int], values: [Float])] = []

    public init(metadata: [String: String] = [:]) { self.metadata = metadata }

    /// Adds a float32 tensor; `values.count` must equal the product of `shape`.
    public mutating func add(_ name: String, shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
        tensors.append((name, shape, values))
    }

    /// The file's bytes.
    public func encoded() throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for t in tensors {
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.values.count]] as [String: Any]
            offset += 4 * t.values.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for t in tensors {
            t.values.withUnsafeBytes { raw in
                if Int(littleEndian: 1) == 1 { out.append(contentsOf: raw) } else {
                    for v in t.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
                }
            }
        }
        return out
    }

    /// Writes the file atomically: a temporary file beside it, flushed, then renamed.
    public func write(to path: String) throws {
        let bytes = try encoded()
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else {
            throw SafeTensorsError(path: path, "cannot be written: cannot create \(temporary) (check that the folder exists and is writable)")
        }
        do {
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            var cause = error.localizedDescription
            if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
                cause = String(cString: strerror(Int32(underlying.code)))
            } else if (error as? CocoaError)?.code == .fileWriteOutOfSpace {
                cause = String(cString: strerror(ENOSPC))
            }
            throw SafeTensorsError(path: path, "cannot be written: \(cause)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw SafeTensorsError(path: path, "cannot be written: renaming the temporary file failed: \(reason)")
        }
    }
}

/// A safetensors file that could not be read or written: the file and what is wrong.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let message: String

    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path) \(message)" }
}
