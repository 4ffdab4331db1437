import FoundationEssentials

/// Decoders for what runsc prints on stdout. Each failure is a ``RunscOutputError`` naming the field.
public enum RunscDecoder {
    /// `runsc state`.
    public static func state(_ bytes: [UInt8]) throws(RunscOutputError) -> RunscState {
        try decode(RunscState.self, from: bytes, output: .state)
    }

    /// `runsc wait`.
    public static func wait(_ bytes: [UInt8]) throws(RunscOutputError) -> RunscWaitStatus {
        try decode(RunscWaitStatus.self, from: bytes, output: .wait)
    }

    /// `runsc ps --format json`: a JSON array of pids; runsc prints `null` when there are none.
    public static func pids(_ bytes: [UInt8]) throws(RunscOutputError) -> [Int32] {
        try decode([Int32]?.self, from: bytes, output: .pids) ?? []
    }

    /// `runsc events --stats`: one event whose `type` must be `"stats"`.
    public static func stats(_ bytes: [UInt8]) throws(RunscOutputError) -> RunscStats {
        let event = try decode(RunscStatsEvent.self, from: bytes, output: .stats)
        guard event.type == "stats" else {
            throw .invalidValue(output: .stats, field: "type", value: "\"\(event.type)\"", expected: "\"stats\"")
        }
        return RunscStats(id: event.id, cpu: event.data.cpu, memory: event.data.memory, pids: event.data.pids)
    }

    static func decode<T: Decodable>(
        _ type: T.Type, from bytes: [UInt8], output: RunscOutput
    ) throws(RunscOutputError) -> T {
        guard bytes.contains(where: { !isJSONWhitespace($0) }) else { throw .empty(output: output) }
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw describe(error, output: output)
        } catch {
            throw .malformedJSON(output: output, detail: "\(error)")
        }
    }

    static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// Maps Foundation's errors onto named cases with a readable field path.
    static func describe(_ error: DecodingError, output: RunscOutput) -> RunscOutputError {
        switch error {
        case .keyNotFound(let key, let context):
            return .missingField(output: output, field: path(context.codingPath + [key]))
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return .wrongType(output: output, field: path(context.codingPath), expected: jsonKind(of: type))
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            let underlying = context.underlyingError.map { ": \($0)" } ?? ""
            return .malformedJSON(output: output, detail: context.debugDescription + underlying)
        case .dataCorrupted(let context):
            return .wrongType(
                output: output, field: path(context.codingPath),
                expected: "a value that fits: \(context.debugDescription)")
        @unknown default:
            return .malformedJSON(output: output, detail: "\(error)")
        }
    }

    /// `data.memory.usage`, `[2]`, or `(top level)`.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? "(top level)" : text
    }

    static func jsonKind(of type: Any.Type) -> String {
        switch type {
        case is String.Type, is RunscStatus.Type: return "a string"
        case is Int32.Type, is Int.Type, is Int64.Type: return "an integer"
        case is UInt64.Type, is UInt.Type: return "a non-negative integer"
        case is Bool.Type: return "a boolean"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array<") || name.hasPrefix("Optional<Array<") { return "an array" }
            return "an object"
        }
    }
}
