import Foundation

/// One JSON object per line on standard error (what Gardener's log collection expects from controllers).
public enum Log {
    public static func info(_ message: String, _ fields: [String: String] = [:]) { write("info", message, fields) }
    public static func error(_ message: String, _ fields: [String: String] = [:]) { write("error", message, fields) }

    private static func write(_ level: String, _ message: String, _ fields: [String: String]) {
        var entry: [String: JSONValueLite] = ["level": .s(level), "msg": .s(message)]
        entry["ts"] = .s(ISO8601DateFormatter().string(from: Date()))
        for (key, value) in fields { entry[key] = .s(value) }
        let body = entry.keys.sorted().map { "\(Manifest.quoted($0)):\(Manifest.quoted(entry[$0]!.text))" }
        FileHandle.standardError.write(Data(("{" + body.joined(separator: ",") + "}\n").utf8))
    }

    private enum JSONValueLite {
        case s(String)
        var text: String {
            switch self {
            case .s(let value): value
            }
        }
    }
}
