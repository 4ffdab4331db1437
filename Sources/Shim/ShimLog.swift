import Glibc
import Synchronization

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

        /// runsc.toml's `log_level`, in logrus's names as gVisor's Go shim reads it; nil for any other word.
        public init?(logrusName: String) {
            switch logrusName.lowercased() {
            case "trace", "debug": self = .debug
            case "info": self = .info
            case "warn", "warning": self = .warning
            case "error", "fatal", "panic": self = .error
            default: return nil
            }
        }
    }

    public var minimumLevel: Level
    /// Fields added to every line (`id`, `namespace`).
    public var fields: [(String, String)]
    public var fd: CInt
    /// Files every line is also written to (runsc.toml's `log_path`); shared by all copies of this log.
    public var files: ShimLogFiles?

    public init(
        minimumLevel: Level = .info, fields: [(String, String)] = [], fd: CInt = STDERR_FILENO,
        files: ShimLogFiles? = nil
    ) {
        self.minimumLevel = minimumLevel
        self.fields = fields
        self.fd = fd
        self.files = files
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
        files?.write(bytes)
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

/// The shim's extra log files: runsc.toml's `log_path`, which gVisor's Go shim opens at Create and adds to its
/// log output beside the FIFO containerd reads (pkg/shim/v1/runsc/container.go `NewContainer`). One shim serves a
/// whole pod, so every file opened for one of its containers gets the daemon's lines from then on.
public final class ShimLogFiles: Sendable {
    private let descriptors = Mutex<[String: CInt]>([:])

    public init() {}

    deinit {
        descriptors.withLock { for fd in $0.values { close(fd) } }
    }

    /// Opens `path` for appending (created 0644, never through a symlink) unless it is open already; true when
    /// it was opened now.
    public func add(_ path: String) throws(SystemError) -> Bool {
        try descriptors.withLock { (open: inout [String: CInt]) throws(SystemError) -> Bool in
            guard open[path] == nil else { return false }
            let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
            guard fd >= 0 else { throw SystemError(operation: "open \(path)", errno: errno) }
            open[path] = fd
            return true
        }
    }

    /// The paths open now, sorted.
    public var paths: [String] { descriptors.withLock { $0.keys.sorted() } }

    func write(_ bytes: [UInt8]) {
        descriptors.withLock { open in
            for fd in open.values { _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } }
        }
    }
}
