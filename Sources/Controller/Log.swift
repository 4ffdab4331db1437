import Logging

/// The controller's log: a swift-log `Logger` with ``JSONLogHandler`` (one JSON object per line on standard
/// error). `Log.info("reconciled", ["object": key])` keeps call sites short; ``logger`` is the swift-log API.
public enum Log {
    public static let logger = Logger(label: "gardener-extension-runtime-gvisor") { _ in JSONLogHandler() }

    public static func info(_ message: String, _ fields: [String: String] = [:]) { log(.info, message, fields) }
    public static func error(_ message: String, _ fields: [String: String] = [:]) { log(.error, message, fields) }

    private static func log(_ level: Logger.Level, _ message: String, _ fields: [String: String]) {
        logger.log(level: level, "\(message)", metadata: fields.isEmpty ? nil : fields.mapValues { .string($0) })
    }
}
