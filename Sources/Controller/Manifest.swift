import GVisorConfig
import Kubernetes

/// Kubernetes manifests as YAML, byte-identical for equal input: keys sorted at every level, every string
/// double-quoted (so `"true"` or `"12"` never turn into a boolean or number), no timestamps.
public enum Manifest {
    /// One document per object, separated by `---`.
    public static func yaml(_ documents: [JSONValue]) -> String {
        documents.map { render($0, indent: 0) }.joined(separator: "---\n")
    }

    private static func render(_ value: JSONValue, indent: Int) -> String {
        var out = ""
        emit(value, indent: indent, into: &out)
        return out
    }

    private static func emit(_ value: JSONValue, indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        switch value {
        case .object(let members) where !members.isEmpty:
            for key in members.keys.sorted() {
                let member = members[key]!
                out += "\(pad)\(yamlKey(key)):"
                if isBlock(member) {
                    out += "\n"
                    emit(member, indent: member.isArray ? indent : indent + 2, into: &out)
                } else {
                    out += " \(scalar(member))\n"
                }
            }
        case .array(let items) where !items.isEmpty:
            for item in items {
                if isBlock(item) {
                    var nested = ""
                    emit(item, indent: indent + 2, into: &nested)
                    // The first line's indentation becomes "- ".
                    out += "\(pad)- " + nested.dropFirst(indent + 2)
                } else {
                    out += "\(pad)- \(scalar(item))\n"
                }
            }
        default:
            out += "\(pad)\(scalar(value))\n"
        }
    }

    private static func isBlock(_ value: JSONValue) -> Bool {
        switch value {
        case .object(let members): !members.isEmpty
        case .array(let items): !items.isEmpty
        default: false
        }
    }

    private static func scalar(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .int(let number): String(number)
        case .uint(let number): String(number)
        case .double(let number):
            number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .string(let text): quoted(text)
        case .array: "[]"
        case .object: "{}"
        }
    }

    /// A YAML double-quoted scalar (JSON string syntax is a subset of it).
    static func quoted(_ text: String) -> String { JSONText.quoted(text) }

    private static func yamlKey(_ key: String) -> String {
        let plain =
            key.unicodeScalars.first.map { ("a"..."z").contains($0) || ("A"..."Z").contains($0) } ?? false
            && key.unicodeScalars.allSatisfy { scalar in
                switch scalar {
                case "A"..."Z", "a"..."z", "0"..."9", "_", "-", ".", "/": true
                default: false
                }
            }
            && !["y", "n", "yes", "no", "true", "false", "on", "off", "null"].contains(key.lowercased())
        return plain ? key : quoted(key)
    }
}

extension JSONValue {
    fileprivate var isArray: Bool {
        if case .array = self { return true }
        return false
    }
}

extension JSONValue {
    /// A string map as a JSON object.
    static func strings(_ map: [String: String]) -> JSONValue { .object(map.mapValues { .string($0) }) }
}
