import Foundation

/// RFC 3339 timestamps as Kubernetes writes them (`Time`: seconds, `MicroTime`: microseconds, both UTC).
public enum Timestamp {
    public static func rfc3339(_ date: Date) -> String {
        format(date, fraction: false)
    }

    public static func rfc3339Micro(_ date: Date) -> String {
        format(date, fraction: true)
    }

    public static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    private static func format(_ date: Date, fraction: Bool) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        var text = String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        if fraction {
            let micros = Int((date.timeIntervalSince1970 - Double(time)) * 1_000_000)
            text += String(format: ".%06d", min(micros, 999_999))
        }
        return text + "Z"
    }
}
