import Glibc
import HostOS
import Testing

@testable import Shim

/// runsc.toml's `log_level` and `log_path` (gVisor's Go shim: logrus level names; logrus output to stderr and
/// the file).
struct ShimLogTests {
    @Test func logrusLevelNames() {
        #expect(ShimLog.Level(logrusName: "trace") == .debug)
        #expect(ShimLog.Level(logrusName: "DEBUG") == .debug)
        #expect(ShimLog.Level(logrusName: "info") == .info)
        #expect(ShimLog.Level(logrusName: "warn") == .warning)
        #expect(ShimLog.Level(logrusName: "warning") == .warning)
        #expect(ShimLog.Level(logrusName: "fatal") == .error)
        #expect(ShimLog.Level(logrusName: "verbose") == nil)
    }

    @Test func linesGoToEveryOpenedFileOnceAndRespectTheLevel() throws {
        var template = "/tmp/shimlog-test.XXXXXX".utf8CString
        let directory = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) })
        let root = String(cString: directory)
        defer { _ = root.withCString { rmdir($0) } }
        let path = "\(root)/shim.log"
        defer { unlink(path) }
        let files = ShimLogFiles()
        #expect(try files.add(path))
        #expect(try !files.add(path))
        #expect(files.paths == [path])
        let devNull = open("/dev/null", O_WRONLY)
        defer { close(devNull) }
        let log = ShimLog(minimumLevel: .warning, fields: [("namespace", "k8s.io")], fd: devNull, files: files)
        log.info("dropped")
        log.warning("kept", [("id", "c1")])
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(fd, &buffer, buffer.count)
        let text = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
        #expect(text.hasSuffix(" level=warning msg=kept namespace=k8s.io id=c1\n"))
        #expect(!text.contains("dropped"))
        #expect(text.split(separator: "\n").count == 1)
        #expect(throws: SystemError.self) { try files.add("\(root)/missing-dir/shim.log") }
    }
}
