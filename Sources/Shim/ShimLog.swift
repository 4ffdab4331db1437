import Glibc

/// The shim's log: logfmt lines on stderr, which the daemon points at the bundle's `log` FIFO so
/// containerd copies them into its own log (`-debug` enables debug lines). Kept tiny on purpose:
/// one write(2) per line, no buffering that a crash could lose.
public struct ShimLog: Sendable {
    public enum Level: Int, Comparable, Sendable {
        case debug, info, warning, error

        var name: String {
            switch self {
            case .debug: "debug"
            case .info: "info"
            case .warning: "warning"
            case .error: "error"
            }
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public var minimumLevel: Level
    /// Fields added to every line (`id`, `namespace`).
    public var fields: [(String, String)]
    public var fd: CInt

    public init(minimumLevel: Level = .info, fields: [(String, String)] = [], fd: CInt = STDERR_FILENO) {
        self.minimumLevel = minimumLevel
        self.fields = fields
        self.fd = fd
    }

    public func debug(_ message: @autoclosure () -> String, _ extra: [(String, String)] = []) {
        log(.debug, message(), extra)
    }
    public func info(_ message: @autoclosure () -> String, _ extra: [(String, String)] = []) {
        log(.info, message(), extra)
    }
    public func warning(_ message: @autoclosure () -> String, _ extra: [(String, String)] = []) {
        log(.warning, message(), extra)
    }
    public func error(_ message: @autoclosure () -> String, _ extra: [(String, String)] = []) {
        log(.error, message(), extra)
    }

    public func log(_ level: Level, _ message: String, _ extra: [(String, String)] = []) {
        guard level >= minimumLevel else { return }
        var line = "time=\"\(ShimLog.timestamp())\" level=\(level.name) msg=\(ShimLog.quote(message))"
        for (key, value) in fields + extra { line += " \(key)=\(ShimLog.quote(value))" }
        line += "\n"
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) }
    }

    static func quote(_ value: String) -> String {
        var needsQuotes = value.isEmpty
        var escaped = ""
        for character in value {
            switch character {
            case "\"": escaped += "\\\""; needsQuotes = true
            case "\\": escaped += "\\\\"; needsQuotes = true
            case "\n": escaped += "\\n"; needsQuotes = true
            case " ", "=": escaped.append(character); needsQuotes = true
            default: escaped.append(character)
            }
        }
        return needsQuotes ? "\"\(escaped)\"" : escaped
    }

    /// RFC 3339 with nanoseconds in UTC, as containerd writes.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let nanos = String(now.tv_nsec)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + String(repeating: "0", count: 9 - nanos.count) + nanos + "Z"
    }
}
