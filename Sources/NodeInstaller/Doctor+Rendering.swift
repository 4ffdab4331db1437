import GVisorConfig

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
            let details = entry.result.details.map { "\(JSONText.quoted($0.key)):\(JSONText.quoted($0.value))" }
            checks.append(
                "{\"id\":\(JSONText.quoted(entry.id)),\"title\":\(JSONText.quoted(entry.title)),"
                    + "\"status\":\(JSONText.quoted(entry.result.status.rawValue)),"
                    + "\"summary\":\(JSONText.quoted(entry.result.summary)),"
                    + "\"details\":{\(details.joined(separator: ","))}}")
        }
        return "{\"ready\":\(isReady),\"hostRoot\":\(JSONText.quoted(hostRoot)),"
            + "\"reasons\":[\(reasons.map(JSONText.quoted).joined(separator: ","))],"
            + "\"checks\":[\(checks.joined(separator: ","))]}\n"
    }
}
