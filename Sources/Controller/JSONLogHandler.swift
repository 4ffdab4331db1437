import GVisorConfig
import Glibc
import Logging

/// A swift-log handler that writes one JSON object per line to standard error, the shape Gardener's log
/// collection reads from controllers: `level`, `msg`, `ts` (RFC 3339 UTC, seconds) and the metadata, every value
/// a string and the keys sorted, each line one write(2).
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    /// Where lines go; tests point it at a pipe.
    public var fd: CInt

    public init(logLevel: Logger.Level = .info, fd: CInt = STDERR_FILENO) {
        self.logLevel = logLevel
        self.fd = fd
    }

    public subscript(metadataKey key: String) -> Logger.MetadataValue? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let bytes = Array(Self.line(event: event, metadata: self.metadata, now: time(nil)).utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// The line for `event` at `now` (seconds since the epoch), the logger's metadata under the event's own.
    static func line(event: LogEvent, metadata: Logger.Metadata, now: time_t) -> String {
        var entry = metadata.mapValues(\.description)
        if let provided = event.metadata { entry.merge(provided.mapValues(\.description)) { $1 } }
        entry["level"] = event.level.rawValue
        entry["msg"] = event.message.description
        entry["ts"] = timestamp(now)
        let body = entry.keys.sorted().map { "\(JSONText.quoted($0)):\(JSONText.quoted(entry[$0]!))" }
        return "{" + body.joined(separator: ",") + "}\n"
    }

    /// `2026-01-31T23:59:59Z`, what Foundation's `ISO8601DateFormatter` wrote before this handler.
    static func timestamp(_ now: time_t) -> String {
        var seconds = now
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int = 2) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T"
            + "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec))Z"
    }
}
