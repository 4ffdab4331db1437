/// Small text helpers, so the library needs nothing beyond FoundationEssentials.
enum Text {
    static func isSpace(_ character: Character) -> Bool {
        character == " " || character == "\t" || character == "\n" || character == "\r"
    }

    static func trimmed(_ text: some StringProtocol) -> String {
        String(text.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }

    /// A plain decimal number (ASCII digits only: no sign, no spaces), at most 9 digits.
    static func decimal(_ text: Substring) -> UInt32? {
        guard !text.isEmpty, text.count <= 9, text.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return UInt32(text)
    }
}

extension Text {
    /// Go's `filepath.Clean` for the absolute and relative paths of a spec: `.`, `..` and repeated `/` go, so
    /// `/var/run/nvidia-container-devices/x/../all` is seen as the toolkit sees it. Empty becomes `.`.
    static func cleanPath(_ path: String) -> String {
        let rooted = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." {
                if let last = parts.last, last != ".." {
                    parts.removeLast()
                } else if !rooted {
                    parts.append(part)
                }
            } else {
                parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        if rooted { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }
}
