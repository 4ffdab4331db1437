import Foundation
import Logging
import Testing

@testable import Controller

/// The controller's log lines: one JSON object per line, keys sorted, every value a string, `ts` in RFC 3339 UTC
/// seconds (what it wrote with Foundation's `ISO8601DateFormatter` before swift-log).
struct JSONLogHandlerTests {
    @Test func lineIsSortedStringValuedJSON() {
        let event = LogEvent(
            level: .error, message: "reconcile failed", metadata: ["object": "ns/a", "error": "bad \"x\"\n"],
            source: nil, file: #fileID, function: #function, line: #line)
        let line = JSONLogHandler.line(event: event, metadata: ["identity": "pod-1"], now: 1_767_225_599)
        #expect(
            line == #"{"error":"bad \"x\"\n","identity":"pod-1","level":"error","msg":"reconcile failed","#
                + #""object":"ns/a","ts":"2025-12-31T23:59:59Z"}"# + "\n")
    }

    @Test func eventMetadataWinsOverTheLoggers() {
        let event = LogEvent(
            level: .info, message: "m", metadata: ["object": "call"], source: nil, file: #fileID,
            function: #function, line: #line)
        let line = JSONLogHandler.line(event: event, metadata: ["object": "logger"], now: 0)
        #expect(line == #"{"level":"info","msg":"m","object":"call","ts":"1970-01-01T00:00:00Z"}"# + "\n")
    }

    @Test func aLoggerWritesOneParsableLinePerEntryAndHonoursItsLevel() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        var logger = Logger(label: "test") { _ in JSONLogHandler(fd: fds[1]) }
        logger[metadataKey: "controller"] = "gvisor"
        logger.debug("dropped")
        logger.info("reconciled", metadata: ["object": "ns/b"])
        close(fds[1])
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while case let count = read(fds[0], &buffer, buffer.count), count > 0 { bytes += buffer.prefix(count) }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 1)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: String])
        #expect(object["controller"] == "gvisor" && object["object"] == "ns/b" && object["msg"] == "reconciled")
        #expect(object["level"] == "info")
        #expect(object["ts"]?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/) != nil)
    }
}
