/// The runsc flags a `GVisorConfiguration` may set: the Go extension's allow-list, with typed values.
///
/// Everything else in `configFlags` is a ``FlagFinding``: the Go extension dropped such keys without a word.
public enum RunscFlag: String, CaseIterable, Sendable, Hashable, Comparable {
    /// Raw sockets in the sandbox (e.g. `traceroute`, istio init containers).
    case netRaw = "net-raw"
    /// runsc debug logging; `true` also writes ``RunscConfigFlags/debugLogTemplate`` as `debug-log`.
    case debug
    /// NVIDIA GPU proxy.
    case nvproxy
    /// Signal that makes the sandbox panic with stacks, for hangs (SIGUSR2 is 12); -1 disables it.
    case panicSignal = "panic-signal"

    /// The value shapes the allow-list knows.
    public enum ValueKind: Sendable, Hashable {
        case boolean
        /// -1, or a signal number 1...64.
        case signal
    }

    public var valueKind: ValueKind {
        switch self {
        case .netRaw, .debug, .nvproxy: .boolean
        case .panicSignal: .signal
        }
    }

    /// Human text for "expected …" in findings and docs.
    public var expected: String {
        switch valueKind {
        case .boolean: "\"true\" or \"false\""
        case .signal: "an integer, -1 to disable or a signal number 1...64"
        }
    }

    /// The canonical spelling of `value`, or nil when the value is not allowed.
    ///
    /// Booleans are exactly `true`/`false` (what the Go extension compared against); signals are decimal integers,
    /// written back without sign or leading zeros, so `"+012"` becomes `"12"`.
    public func canonicalValue(_ value: String) -> String? {
        switch valueKind {
        case .boolean:
            return value == "true" || value == "false" ? value : nil
        case .signal:
            guard value.utf8.allSatisfy({ (0x30...0x39).contains($0) || $0 == 0x2B || $0 == 0x2D }),
                let number = Int(value), number == -1 || (1...64).contains(number)
            else { return nil }
            return String(number)
        }
    }

    public static func < (lhs: RunscFlag, rhs: RunscFlag) -> Bool {
        utf8Less(lhs.rawValue, rhs.rawValue)
    }
}
