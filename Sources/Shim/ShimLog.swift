import Glibc
import HostOS
import Logging
import Synchronization

/// The shim's log: a swift-log `Logger` with ``LogfmtLogHandler``, on stderr, which the daemon points at the
/// bundle's `log` FIFO so containerd copies the lines into its own log (`-debug` enables debug lines).
///
/// A thin facade that keeps the shim's call sites short (`log.info("created", [("id", id)])`); code that wants
/// swift-log's own API uses ``logger``.
public struct ShimLog: Sendable {
    /// The levels the shim logs at, in logrus's order.
    public enum Level: Int, Comparable, Sendable {
        case debug, info, warning, error

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

        var swiftLog: Logger.Level {
            switch self {
            case .debug: .debug
            case .info: .info
            case .warning: .warning
            case .error: .error
            }
        }
    }

    public var logger: Logger

    public var minimumLevel: Level {
        didSet { logger.logLevel = minimumLevel.swiftLog }
    }

    /// Files every line is also written to (runsc.toml's `log_path`); shared by all copies of this log.
    public let files: ShimLogFiles?

    /// `fields` are added to every line in this order (`runtime`, `namespace`, `id`); `fd` -1 writes only to `files`.
    public init(
        minimumLevel: Level = .info, fields: [(String, String)] = [], fd: CInt = STDERR_FILENO,
        files: ShimLogFiles? = nil
    ) {
        var handler = LogfmtLogHandler(logLevel: minimumLevel.swiftLog, fd: fd, files: files)
        for (key, value) in fields { handler[metadataKey: key] = .string(value) }
        self.logger = Logger(label: "containerd-shim-runsc-v1") { _ in handler }
        self.minimumLevel = minimumLevel
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

    public func log(_ level: Level, _ message: @autoclosure () -> String, _ extra: [(String, String)] = []) {
        guard level >= minimumLevel else { return }
        let metadata = Logger.Metadata(extra.map { ($0.0, .string($0.1)) }, uniquingKeysWith: { $1 })
        logger.log(level: level.swiftLog, "\(message())", metadata: extra.isEmpty ? nil : metadata)
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
