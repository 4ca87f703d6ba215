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
            throw exists ? SafeTensorsError.unreadable(path: path) : SafeTensorsError.fileNotFound(path: path)
        }
        try self.init(data: data, path: path)
    }

    /// Parses and checks `data`; `path` names it in errors.
    public init(data: Data, path: String = "<memory>") throws {
        self.path = path
        self.data = data
        if data.count >= 2, data[data.startIndex] == 0x80, (2...5).contains(data[data.startIndex + 1]) {
            throw SafeTensorsError.pythonPickle(path: path)
        }
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            throw SafeTensorsError.zipArchive(path: path)
        }
        guard data.count >= 8 else {
            throw SafeTensorsError.tooShort(path: path, bytes: data.count)
        }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw SafeTensorsError.headerBeyondEnd(path: path, headerBytes: headerLength, availableBytes: data.count - 8)
        }
        guard headerLength <= 100_000_000 else { throw SafeTensorsError.headerTooLarge(path: path, headerBytes: headerLength) }
        dataStart = 8 + Int(headerLength)
        let headerBytes = data.subdata(in: 8..<dataStart)
        guard let json = try? JSONSerialization.jsonObject(with: headerBytes), let header = json as? [String: Any] else {
            throw SafeTensorsError.headerNotJSON(path: path)
        }
        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let object = raw as? [String: Any] else { throw SafeTensorsError.badMetadata(path: path, key: nil) }
            for (key, value) in object {
                guard let string = value as? String else { throw SafeTensorsError.badMetadata(path: path, key: key) }
                metadata[key] = string
            }
        }
        self.metadata = metadata

        let dataLength = data.count - dataStart
        var entries: [Entry] = []
        for (name, raw) in header where name != "__metadata__" {
            guard let object = raw as? [String: Any] else { throw SafeTensorsError.malformedEntry(path: path, tensor: name, field: .entry) }
            guard let dtype = object["dtype"] as? String else { throw SafeTensorsError.malformedEntry(path: path, tensor: name, field: .dtype) }
            guard let size = Self.dtypeSizes[dtype] else {
                throw SafeTensorsError.unsupportedDType(path: path, tensor: name, dtype: dtype)
            }
            guard let shapeValues = object["shape"] as? [Any], let shape = Self.integers(shapeValues), shape.allSatisfy({ $0 >= 0 }) else {
                throw SafeTensorsError.malformedEntry(path: path, tensor: name, field: .shape)
            }
            guard let offsetValues = object["data_offsets"] as? [Any], let offsets = Self.integers(offsetValues), offsets.count == 2 else {
                throw SafeTensorsError.malformedEntry(path: path, tensor: name, field: .dataOffsets)
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataLength else {
                throw SafeTensorsError.offsetsOutsideData(path: path, tensor: name, begin: begin, end: end, dataBytes: dataLength)
            }
            let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
            guard count != Int.max, !overflow, end - begin == bytes else {
                throw SafeTensorsError.byteCount(path: path, tensor: name, bytes: end - begin, shape: shape, dtype: dtype,
                                                 needed: count == Int.max || overflow ? nil : bytes)
            }
            entries.append(Entry(name: name, dtype: dtype, shape: shape, range: begin..<end))
        }
        entries.sort { ($0.range.lowerBound, $0.name) < ($1.range.lowerBound, $1.name) }
        for (a, b) in zip(entries, entries.dropFirst()) where a.range.upperBound > b.range.lowerBound && !b.range.isEmpty {
            throw SafeTensorsError.overlap(path: path, first: a.name, second: b.name)
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
        guard let entry = entry(name) else { throw SafeTensorsError.missingTensor(path: path, name: name) }
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
            throw SafeTensorsError.cannotCreate(path: path, temporary: temporary)
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
            throw SafeTensorsError.writeFailed(path: path, reason: cause)
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw SafeTensorsError.renameFailed(path: path, reason: reason)
        }
    }
}

/// A safetensors file that could not be read or written: each case names the file and carries
/// what is wrong with it.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    /// A field of a tensor's header entry that is missing or malformed.
    public enum Field: String, Sendable {
        case entry, dtype, shape, dataOffsets = "data_offsets"
    }

    /// The file does not exist.
    case fileNotFound(path: String)
    /// The file exists but cannot be read.
    case unreadable(path: String)
    /// A Python pickle (an official network pickle), not safetensors.
    case pythonPickle(path: String)
    /// A zip archive (a PyTorch .pt/.pth file), not safetensors.
    case zipArchive(path: String)
    /// Fewer than the 8 bytes of the header length.
    case tooShort(path: String, bytes: Int)
    /// A header length beyond the end of the file.
    case headerBeyondEnd(path: String, headerBytes: UInt64, availableBytes: Int)
    /// A header length over 100 MB.
    case headerTooLarge(path: String, headerBytes: UInt64)
    /// A header that is not a JSON object.
    case headerNotJSON(path: String)
    /// A `__metadata__` that is not an object of strings (`key`: the entry that is not a string).
    case badMetadata(path: String, key: String?)
    /// A tensor's header entry whose `field` is missing or malformed.
    case malformedEntry(path: String, tensor: String, field: Field)
    /// A dtype this reader does not convert.
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// Data offsets outside the data section.
    case offsetsOutsideData(path: String, tensor: String, begin: Int, end: Int, dataBytes: Int)
    /// A byte range of another length than the shape and dtype need (`needed` nil: too many to count).
    case byteCount(path: String, tensor: String, bytes: Int, shape: [Int], dtype: String, needed: Int?)
    /// Two tensors whose data overlap.
    case overlap(path: String, first: String, second: String)
    /// A tensor asked for that the file does not hold.
    case missingTensor(path: String, name: String)
    /// The temporary file of a write cannot be created.
    case cannotCreate(path: String, temporary: String)
    /// Writing or flushing the temporary file failed.
    case writeFailed(path: String, reason: String)
    /// Renaming the temporary file onto the file failed.
    case renameFailed(path: String, reason: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .fileNotFound(let path), .unreadable(let path), .pythonPickle(let path), .zipArchive(let path),
             .tooShort(let path, _), .headerBeyondEnd(let path, _, _), .headerTooLarge(let path, _), .headerNotJSON(let path),
             .badMetadata(let path, _), .malformedEntry(let path, _, _), .unsupportedDType(let path, _, _),
             .offsetsOutsideData(let path, _, _, _, _), .byteCount(let path, _, _, _, _, _), .overlap(let path, _, _),
             .missingTensor(let path, _), .cannotCreate(let path, _), .writeFailed(let path, _), .renameFailed(let path, _):
            return path
        }
    }

    public var description: String { "\(path) \(problem)" }

    /// What is wrong, after the file name.
    var problem: String {
        switch self {
        case .fileNotFound:
            return "does not exist"
        case .unreadable:
            return "cannot be read (check its permissions)"
        case .pythonPickle(let path):
            return "is a Python pickle (an official network-snapshot-*.pkl?), not a safetensors file: convert it with `python3 tools/convert_official.py \(path) network.safetensors` and use that file"
        case .zipArchive(let path):
            return "is a zip archive (a PyTorch .pt/.pth file?), not a safetensors file: convert a stylegan2-ada-pytorch state_dict with `python3 tools/convert_official.py \(path) network.safetensors` and use that file"
        case .tooShort(_, let bytes):
            return "is \(bytes) bytes long, too short for a safetensors file (8-byte header length, then a JSON header)"
        case .headerBeyondEnd(_, let headerBytes, let availableBytes):
            return "declares a \(headerBytes)-byte header but has only \(availableBytes) bytes after the length: not a safetensors file, or truncated"
        case .headerTooLarge(_, let headerBytes):
            return "declares a header of \(headerBytes) bytes (over 100 MB): not a safetensors file"
        case .headerNotJSON:
            return "has a header that is not a JSON object: not a safetensors file, or corrupt"
        case .badMetadata(_, nil):
            return "has a __metadata__ that is not an object of strings"
        case .badMetadata(_, let key?):
            return "has a __metadata__ value for '\(key)' that is not a string"
        case .malformedEntry(_, let tensor, let field):
            switch field {
            case .entry: return "tensor '\(tensor)': header entry is not an object"
            case .dtype: return "tensor '\(tensor)': no dtype"
            case .shape: return "tensor '\(tensor)': shape is not a list of non-negative integers"
            case .dataOffsets: return "tensor '\(tensor)': data_offsets is not a pair of integers"
            }
        case .unsupportedDType(_, let tensor, let dtype):
            return "tensor '\(tensor)': dtype \(dtype) is not supported (F32, F16, BF16 and F64 are); convert the file to float32"
        case .offsetsOutsideData(_, let tensor, let begin, let end, let dataBytes):
            return "tensor '\(tensor)': data_offsets [\(begin), \(end)] lie outside the \(dataBytes) data bytes (truncated file?)"
        case .byteCount(_, let tensor, let bytes, let shape, let dtype, let needed):
            return "tensor '\(tensor)': \(bytes) bytes for shape \(shape) of \(dtype), which needs \(needed.map { "\($0)" } ?? "too many")"
        case .overlap(_, let first, let second):
            return "tensors '\(first)' and '\(second)' overlap in the data section"
        case .missingTensor(_, let name):
            return "has no tensor '\(name)'"
        case .cannotCreate(_, let temporary):
            return "cannot be written: cannot create \(temporary) (check that the folder exists and is writable)"
        case .writeFailed(_, let reason):
            return "cannot be written: \(reason)"
        case .renameFailed(_, let reason):
            return "cannot be written: renaming the temporary file failed: \(reason)"
        }
    }
}
