import Glibc
import Logging
import Testing

@testable import Shim

/// The shim's logrus text lines through swift-log: containerd copies them verbatim into its own log, and the
/// integration tests grep them (`level=info msg=created runtime=io.containerd.runsc.v1`).
struct LogfmtLogHandlerTests {
    /// Everything written to `fd` by `body`, via a pipe.
    private func captured(_ body: (CInt) -> Void) -> String {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return "" }
        body(fds[1])
        close(fds[1])
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while case let count = read(fds[0], &buffer, buffer.count), count > 0 { bytes += buffer.prefix(count) }
        close(fds[0])
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func loggerFieldsKeepTheirOrderAndCallFieldsFollowSorted() {
        let text = captured { fd in
            let log = ShimLog(fields: [("runtime", "io.containerd.runsc.v1"), ("namespace", "k8s.io")], fd: fd)
            log.info("created", [("subcontainer", "false"), ("id", "c1"), ("pid", "42")])
        }
        #expect(
            text.hasSuffix(
                " level=info msg=created runtime=io.containerd.runsc.v1 namespace=k8s.io id=c1 pid=42 subcontainer=false\n"
            ))
        #expect(text.wholeMatch(of: /time="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z" level=info .*\n/) != nil)
    }

    @Test func valuesAreQuotedAsLogrusQuotesThem() {
        #expect(LogfmtLogHandler.quote("plain") == "plain")
        #expect(LogfmtLogHandler.quote("") == #""""#)
        #expect(LogfmtLogHandler.quote("two words") == #""two words""#)
        #expect(LogfmtLogHandler.quote("a=b") == #""a=b""#)
        #expect(LogfmtLogHandler.quote("say \"hi\"\\\n") == #""say \"hi\"\\\n""#)
    }

    @Test func swiftLogLevelsMapToLogrusNames() {
        #expect(
            Logger.Level.allCases.map(LogfmtLogHandler.name) == [
                "trace", "debug", "info", "info", "warning", "error", "error",
            ])
    }

    @Test func aCallFieldReplacesTheLoggerFieldOfTheSameName() {
        let text = captured { fd in
            var logger = Logger(label: "test") { _ in LogfmtLogHandler(logLevel: .debug, fd: fd) }
            logger[metadataKey: "id"] = "daemon"
            logger[metadataKey: "namespace"] = "default"
            logger.debug("deleted", metadata: ["id": "c2"])
            logger.trace("dropped")
        }
        #expect(text.hasSuffix(" level=debug msg=deleted namespace=default id=c2\n"))
        #expect(!text.contains("dropped"))
    }

    @Test func metadataSetAsADictionaryKeepsKnownKeysInPlace() {
        var handler = LogfmtLogHandler(fd: -1)
        handler[metadataKey: "runtime"] = "r"
        handler[metadataKey: "namespace"] = "n"
        handler.metadata = ["namespace": "n2", "runtime": "r", "id": "c"]
        #expect(handler.metadata == ["runtime": "r", "namespace": "n2", "id": "c"])
        let text = captured { fd in
            var copy = handler
            copy.fd = fd
            Logger(label: "test") { _ in copy }.info("x")
        }
        #expect(text.hasSuffix(" msg=x runtime=r namespace=n2 id=c\n"))
    }
}
