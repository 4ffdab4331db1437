/// One `configFlags` entry that did not make it into runsc.toml, and why.
public struct FlagFinding: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Problem: Sendable, Hashable {
        /// The key is not in ``RunscFlag``'s allow-list.
        case unknownFlag
        /// The key is allowed but the value is not.
        case invalidValue
    }

    public enum Severity: String, Sendable, Hashable, Comparable {
        /// Probably fine to drop: a flag this version does not (yet) allow.
        case warning
        /// The user meant to set an allowed flag and the value cannot be used.
        case error

        public static func < (lhs: Severity, rhs: Severity) -> Bool {
            lhs == .warning && rhs == .error
        }
    }

    public var key: String
    public var value: String
    public var problem: Problem
    /// What would have been accepted.
    public var expected: String
    public var severity: Severity

    public init(key: String, value: String, problem: Problem, expected: String, severity: Severity) {
        self.key = key
        self.value = value
        self.problem = problem
        self.expected = expected
        self.severity = severity
    }

    /// The field path in the `GVisorConfiguration`, e.g. `configFlags.net-raw`.
    public var path: String { "configFlags.\(key)" }

    public var description: String {
        let what =
            problem == .unknownFlag
            ? "unknown flag (value \(JSONText.quoted(value)))"
            : "invalid value \(JSONText.quoted(value))"
        return "\(path): \(what), expected \(expected) [\(severity)]"
    }

    /// By key (UTF-8 bytes), then value: keys are unique within one map, so this is a total, stable order.
    public static func < (lhs: FlagFinding, rhs: FlagFinding) -> Bool {
        if lhs.key != rhs.key { return utf8Less(lhs.key, rhs.key) }
        return utf8Less(lhs.value, rhs.value)
    }
}

/// How validation treats findings.
public enum ValidationMode: Sendable, Hashable {
    /// Any finding rejects the whole configuration.
    case strict
    /// Keep the valid flags, report the findings (the Go extension's behaviour, minus the silence).
    case lenient
}

/// Strict validation failed; carries every finding, not just the first.
public struct FlagValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var findings: [FlagFinding]

    public init(findings: [FlagFinding]) {
        self.findings = findings
    }

    public var description: String {
        let noun = findings.count == 1 ? "entry" : "entries"
        let lines = findings.map { "  \($0)" }.joined(separator: "\n")
        return "configFlags has \(findings.count) rejected \(noun):\n\(lines)\n"
            + "  allowed flags: \(RunscConfigFlags.allowListSummary)"
    }
}
