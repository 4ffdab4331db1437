/// Validated runsc flags: only allow-listed keys with canonical values. The installer renders these into runsc.toml.
public struct RunscConfigFlags: Sendable, Hashable {
    /// Where `debug = "true"` sends runsc's debug logs; runsc (or our shim, for older runsc) fills in the variables.
    public static let debugLogTemplate = "/var/log/runsc/%ID%/gvisor-%COMMAND%.log"

    /// Canonical values (see ``RunscFlag/canonicalValue(_:)``) by flag.
    public private(set) var values: [RunscFlag: String]

    /// No flags: the rendering is the `[runsc_config]` header alone.
    public init() {
        values = [:]
    }

    /// Builds from typed values, so no finding is possible.
    public init(netRaw: Bool? = nil, debug: Bool? = nil, nvproxy: Bool? = nil, panicSignal: PanicSignal? = nil) {
        values = [:]
        values[.netRaw] = netRaw.map(String.init)
        values[.debug] = debug.map(String.init)
        values[.nvproxy] = nvproxy.map(String.init)
        values[.panicSignal] = panicSignal.map { String($0.rawValue) }
    }

    public subscript(flag: RunscFlag) -> String? { values[flag] }

    /// The `[runsc_config]` entries in file order (sorted by key), including the `debug-log` that `debug = "true"`
    /// implies. `debug = "false"` and `nvproxy = "false"` are written as such, without `debug-log`.
    public var runscConfig: [(key: String, value: String)] {
        var entries = values.map { (key: $0.key.rawValue, value: $0.value) }
        if values[.debug] == "true" {
            entries.append((key: "debug-log", value: Self.debugLogTemplate))
        }
        return entries.sorted { utf8Less($0.key, $1.key) }
    }

    static let allowListSummary = RunscFlag.allCases.sorted().map { "\($0.rawValue) = \($0.expected)" }
        .joined(separator: "; ")
}

/// A `panic-signal` value: -1 disables the handler, 1...64 are signal numbers.
public struct PanicSignal: RawRepresentable, Sendable, Hashable {
    public let rawValue: Int

    public init?(rawValue: Int) {
        guard rawValue == -1 || (1...64).contains(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    public static let disabled = PanicSignal(rawValue: -1)!
    /// SIGUSR2 on Linux, the value gVisor's docs suggest for hangs.
    public static let sigusr2 = PanicSignal(rawValue: 12)!
}

/// Flags that passed validation plus everything that did not.
public struct FlagValidation: Sendable, Hashable {
    public var flags: RunscConfigFlags
    /// Sorted (see ``FlagFinding/<(_:_:)``); empty after a successful strict validation.
    public var findings: [FlagFinding]

    public init(flags: RunscConfigFlags, findings: [FlagFinding]) {
        self.flags = flags
        self.findings = findings
    }
}

extension RunscConfigFlags {
    /// Checks every entry against the allow-list. Strict mode throws all findings at once; lenient mode keeps the
    /// valid flags and returns the findings.
    public static func validate(_ configFlags: [String: String], mode: ValidationMode)
        throws(FlagValidationError) -> FlagValidation
    {
        var flags = RunscConfigFlags()
        var findings: [FlagFinding] = []
        for (key, value) in configFlags {
            guard let flag = RunscFlag(rawValue: key) else {
                findings.append(
                    FlagFinding(
                        key: key, value: value, problem: .unknownFlag,
                        expected: "one of \(RunscFlag.allCases.sorted().map(\.rawValue).joined(separator: ", "))",
                        severity: .warning))
                continue
            }
            guard let canonical = flag.canonicalValue(value) else {
                findings.append(
                    FlagFinding(
                        key: key, value: value, problem: .invalidValue, expected: flag.expected, severity: .error))
                continue
            }
            flags.values[flag] = canonical
        }
        findings.sort()
        if mode == .strict, !findings.isEmpty {
            throw FlagValidationError(findings: findings)
        }
        return FlagValidation(flags: flags, findings: findings)
    }
}

extension GVisorConfiguration {
    /// Validates ``configFlags`` (absent means no flags).
    public func validatedFlags(mode: ValidationMode = .strict) throws(FlagValidationError) -> FlagValidation {
        try RunscConfigFlags.validate(configFlags ?? [:], mode: mode)
    }

    /// Parses command-line style `key=value` pairs (split at the first `=`) into `configFlags`.
    ///
    /// Duplicate keys are an error rather than "last wins", so a repeated flag cannot hide a typo.
    public static func configFlags(fromAssignments assignments: [String]) throws(FlagAssignmentError)
        -> [String: String]
    {
        var result: [String: String] = [:]
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw FlagAssignmentError(assignment: assignment, reason: "expected key=value, e.g. net-raw=true")
            }
            let key = String(assignment[..<equals])
            let value = String(assignment[assignment.index(after: equals)...])
            guard result[key] == nil else {
                throw FlagAssignmentError(assignment: assignment, reason: "\(key) is given more than once")
            }
            result[key] = value
        }
        return result
    }
}

/// A `key=value` argument that could not be used.
public struct FlagAssignmentError: Error, Sendable, Hashable, CustomStringConvertible {
    public var assignment: String
    public var reason: String

    public init(assignment: String, reason: String) {
        self.assignment = assignment
        self.reason = reason
    }

    public var description: String { "config flag \(JSONText.quoted(assignment)): \(reason)" }
}
