import FoundationEssentials

/// Reads runsc's `--log-format=json` log (`<bundle>/log.json` in the shim) for the error that explains a
/// failure, as the Go shim's `getLastRuntimeError` does.
///
/// The file is a stream of JSON objects with `"level"` and `"msg"`. Newer runsc ends each with a newline;
/// runsc 20221219 writes them back to back (`}{`), so the reader splits on object boundaries, not lines.
/// Objects that are truncated or not JSON are skipped: a log is evidence, not input to reject.
public enum RunscLog {
    /// The trimmed `msg` of the last `"level":"error"` entry in `bytes`, or `nil` if there is none.
    public static func lastError(in bytes: [UInt8]) -> String? {
        var last: String?
        for object in objects(in: bytes) {
            guard let entry = try? JSONDecoder().decode(Entry.self, from: Data(object)),
                entry.level == "error", let message = entry.msg
            else { continue }
            let trimmed = trimmed(message)
            if !trimmed.isEmpty { last = trimmed }
        }
        return last
    }

    /// ``lastError(in:)`` for the part of the file at `path` from byte `offset` on (everything if the file
    /// is now shorter than `offset`, as after a rotation). `nil` if the file is missing or unreadable.
    public static func lastError(atPath path: String, from offset: Int64 = 0) -> String? {
        guard let bytes = POSIX.readFile(path, from: offset, limit: maximumRead) else { return nil }
        return lastError(in: bytes)
    }

    /// Only the end of a huge log is read: the last error is what matters.
    static let maximumRead = 4 << 20

    struct Entry: Decodable {
        var level: String?
        var msg: String?
    }

    /// The top-level `{…}` objects in a stream, found by brace depth outside strings.
    static func objects(in bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var depth = 0
        var start = 0
        var inString = false
        var escaped = false
        for (index, byte) in bytes.enumerated() {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = depth > 0
            case UInt8(ascii: "{"):
                if depth == 0 { start = index }
                depth += 1
            case UInt8(ascii: "}") where depth > 0:
                depth -= 1
                if depth == 0 { result.append(bytes[start...index]) }
            default:
                break
            }
        }
        return result
    }

    static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
