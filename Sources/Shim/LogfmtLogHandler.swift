import Glibc
import Logging

/// A swift-log handler that writes logrus text lines (`time="…" level=info msg=… key=value`), the format
/// containerd copies from a shim's log FIFO into its own log and gVisor's Go shim writes.
///
/// Logger metadata (`runtime`, `namespace`, `id`) comes first in the order it was set; a call's own metadata
/// follows sorted by key, as logrus sorts fields. Each line is one write(2) per destination, unbuffered, so a
/// crash loses nothing that was logged.
public struct LogfmtLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadataProvider: Logger.MetadataProvider?
    /// The descriptor every line goes to (the daemon's stderr, which is the bundle's `log` FIFO); -1 for none.
    public var fd: CInt
    /// Files every line also goes to (runsc.toml's `log_path`); shared by all copies of this handler.
    public var files: ShimLogFiles?
    private var fields: [(key: String, value: Logger.MetadataValue)] = []

    public init(logLevel: Logger.Level = .info, fd: CInt = STDERR_FILENO, files: ShimLogFiles? = nil) {
        self.logLevel = logLevel
        self.fd = fd
        self.files = files
    }

    public var metadata: Logger.Metadata {
        get { Logger.Metadata(fields.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }) }
        set {
            fields.removeAll { newValue[$0.key] == nil }
            for key in newValue.keys.sorted() { self[metadataKey: key] = newValue[key] }
        }
    }

    public subscript(metadataKey key: String) -> Logger.MetadataValue? {
        get { fields.first { $0.key == key }?.value }
        set {
            let index = fields.firstIndex { $0.key == key }
            switch (index, newValue) {
            case (let index?, let value?): fields[index].value = value
            case (let index?, nil): fields.remove(at: index)
            case (nil, let value?): fields.append((key, value))
            case (nil, nil): break
            }
        }
    }

    public func log(event: LogEvent) {
        var extra = metadataProvider?.get() ?? [:]
        if let metadata = event.metadata { extra.merge(metadata) { $1 } }
        var line = "time=\"\(Self.timestamp())\" level=\(Self.name(event.level))"
        line += " msg=\(Self.quote(event.message.description))"
        for (key, value) in fields where extra[key] == nil { line += " \(key)=\(Self.quote(value.description))" }
        for key in extra.keys.sorted() { line += " \(key)=\(Self.quote(extra[key]!.description))" }
        line += "\n"
        let bytes = Array(line.utf8)
        if fd >= 0 { _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
        files?.write(bytes)
    }

    /// logrus's level names; swift-log's `notice` and `critical` have no logrus twin and read as info and error.
    static func name(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "trace"
        case .debug: "debug"
        case .info, .notice: "info"
        case .warning: "warning"
        case .error, .critical: "error"
        }
    }

    /// logrus's quoting: bare when the value is safe, else double-quoted with `"`, `\` and newlines escaped.
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
