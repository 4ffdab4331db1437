import GVisorConfig

extension GVisorConfiguration {
    /// YAML with keys sorted at every level (as `kubectl -o yaml` prints) and every value double-quoted, so that
    /// `"true"` or `"12"` stay strings when read back. Same value in, same bytes out.
    public func yaml() -> String {
        var lines = ["apiVersion: \(Self.apiVersion)"]
        if let configFlags {
            if configFlags.isEmpty {
                lines.append("configFlags: {}")
            } else {
                lines.append("configFlags:")
                for key in configFlags.keys.sorted(by: utf8Less) {
                    lines.append("  \(Self.yamlKey(key)): \(JSONText.quoted(configFlags[key]!))")
                }
            }
        }
        lines.append("kind: \(Self.kind)")
        if let testImageTag {
            lines.append("testImageTag: \(JSONText.quoted(testImageTag))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Pretty-printed JSON (two-space indent) with keys sorted at every level; deterministic like ``yaml()``.
    public func json() -> String {
        var members = ["  \"apiVersion\": \(JSONText.quoted(Self.apiVersion))"]
        if let configFlags {
            if configFlags.isEmpty {
                members.append("  \"configFlags\": {}")
            } else {
                let flags = configFlags.keys.sorted(by: utf8Less).map {
                    "    \(JSONText.quoted($0)): \(JSONText.quoted(configFlags[$0]!))"
                }
                members.append("  \"configFlags\": {\n" + flags.joined(separator: ",\n") + "\n  }")
            }
        }
        members.append("  \"kind\": \(JSONText.quoted(Self.kind))")
        if let testImageTag {
            members.append("  \"testImageTag\": \(JSONText.quoted(testImageTag))")
        }
        return "{\n" + members.joined(separator: ",\n") + "\n}\n"
    }

    /// Plain only for simple names that YAML 1.1 cannot mistake for a bool or null; quoted otherwise.
    private static func yamlKey(_ key: String) -> String {
        guard let first = key.unicodeScalars.first, ("a"..."z").contains(first) || ("A"..."Z").contains(first)
        else { return JSONText.quoted(key) }
        let simple = key.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "A"..."Z", "a"..."z", "0"..."9", "_", "-", ".": true
            default: false
            }
        }
        let ambiguous = ["y", "n", "yes", "no", "true", "false", "on", "off", "null"].contains(key.lowercased())
        return simple && !ambiguous ? key : JSONText.quoted(key)
    }
}
