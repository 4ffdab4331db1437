/// A container (or exec) id that satisfies containerd's identifier rules, so it is safe as one path component.
///
/// containerd (`pkg/identifiers`) allows 1...76 characters: runs of ASCII letters and digits joined by single
/// `.`, `_` or `-`. That excludes `/`, `..`, leading or trailing separators and anything outside ASCII, so an id
/// can be put into `/var/log/runsc/<id>` or a bundle path without escaping it.
public struct ContainerID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public static let maximumLength = 76

    public let rawValue: String

    public init(_ rawValue: String) throws(ContainerIDError) {
        if let rule = Self.brokenRule(rawValue) {
            throw ContainerIDError(id: rawValue, rule: rule)
        }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static func < (lhs: ContainerID, rhs: ContainerID) -> Bool {
        utf8Less(lhs.rawValue, rhs.rawValue)
    }

    private static func brokenRule(_ id: String) -> ContainerIDError.Rule? {
        let bytes = Array(id.utf8)
        guard !bytes.isEmpty else { return .empty }
        guard bytes.count <= maximumLength else { return .tooLong(bytes.count) }
        func isAlphanumeric(_ byte: UInt8) -> Bool {
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
        }
        func isSeparator(_ byte: UInt8) -> Bool { byte == 0x2E || byte == 0x5F || byte == 0x2D }
        for (offset, byte) in bytes.enumerated() where !isAlphanumeric(byte) && !isSeparator(byte) {
            if byte == 0x2F { return .containsSlash }
            // The first byte that fails is ASCII or a lead byte, so this index starts a scalar.
            let index = id.utf8.index(id.utf8.startIndex, offsetBy: offset)
            return .invalidCharacter(String(id.unicodeScalars[index]), offset: offset)
        }
        // `..` first: it is the rule that matters for paths, so name it even where another rule also breaks.
        if bytes.indices.dropFirst().contains(where: { bytes[$0] == 0x2E && bytes[$0 - 1] == 0x2E }) {
            return .containsDotDot
        }
        guard isAlphanumeric(bytes[0]) else { return .mustStartWithLetterOrDigit }
        guard isAlphanumeric(bytes[bytes.count - 1]) else { return .mustEndWithLetterOrDigit }
        for offset in 1..<bytes.count where isSeparator(bytes[offset]) && isSeparator(bytes[offset - 1]) {
            return .consecutiveSeparators(offset: offset - 1)
        }
        return nil
    }
}

/// Which identifier rule an id broke.
public struct ContainerIDError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Rule: Sendable, Hashable {
        case empty
        /// The length in bytes.
        case tooLong(Int)
        case containsSlash
        case containsDotDot
        /// The first offending character and its byte offset.
        case invalidCharacter(String, offset: Int)
        case mustStartWithLetterOrDigit
        case mustEndWithLetterOrDigit
        /// Two of `.`, `_`, `-` in a row (other than `..`), starting at this byte offset.
        case consecutiveSeparators(offset: Int)
    }

    public var id: String
    public var rule: Rule

    public init(id: String, rule: Rule) {
        self.id = id
        self.rule = rule
    }

    public var description: String {
        let reason =
            switch rule {
            case .empty: "must not be empty"
            case .tooLong(let count): "is \(count) characters long, at most \(ContainerID.maximumLength) are allowed"
            case .containsSlash: "must not contain \"/\""
            case .containsDotDot: "must not contain \"..\""
            case .invalidCharacter(let character, let offset):
                "contains \(JSONText.quoted(character)) at offset \(offset); only ASCII letters, digits, \".\", \"_\""
                    + " and \"-\" are allowed"
            case .mustStartWithLetterOrDigit: "must start with a letter or digit"
            case .mustEndWithLetterOrDigit: "must end with a letter or digit"
            case .consecutiveSeparators(let offset):
                "has two separators in a row at offset \(offset); \".\", \"_\" and \"-\" must sit between letters"
                    + " or digits"
            }
        return "container id \(JSONText.quoted(id)) \(reason)"
    }
}
