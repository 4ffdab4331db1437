extension Doctor.Report {
    /// The readable checklist: one line per check, details indented under warnings and failures, and a
    /// closing verdict with the reasons.
    public var text: String {
        var lines = ["gvisor-node doctor (host root \(hostRoot))"]
        let width = entries.map(\.title.count).max() ?? 0
        for entry in entries {
            let mark =
                switch entry.result.status {
                case .ok: "ok     "
                case .warning: "WARN   "
                case .failed: "FAILED "
                case .info: "info   "
                }
            let title = entry.title + String(repeating: " ", count: width - entry.title.count)
            lines.append("  \(mark) \(title)  \(entry.result.summary)")
        }
        if isReady {
            lines.append("ready")
        } else {
            lines.append("not ready:")
            lines += reasons.map { "  - \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `{"ready":…,"hostRoot":…,"reasons":[…],"checks":[{"id","title","status","summary","details":{…}}]}`,
    /// keys in this order, details in check order.
    public var json: String {
        var checks: [String] = []
        for entry in entries {
            let details = entry.result.details.map { "\(JSON.string($0.key)):\(JSON.string($0.value))" }
            checks.append(
                "{\"id\":\(JSON.string(entry.id)),\"title\":\(JSON.string(entry.title)),"
                    + "\"status\":\(JSON.string(entry.result.status.rawValue)),"
                    + "\"summary\":\(JSON.string(entry.result.summary)),"
                    + "\"details\":{\(details.joined(separator: ","))}}")
        }
        return "{\"ready\":\(isReady),\"hostRoot\":\(JSON.string(hostRoot)),"
            + "\"reasons\":[\(reasons.map(JSON.string).joined(separator: ","))],"
            + "\"checks\":[\(checks.joined(separator: ","))]}\n"
    }
}

enum JSON {
    static func string(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
