import FoundationEssentials
import Glibc
import Testing

@testable import Runsc

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
}

enum TemporaryDirectory {
    /// A fresh directory under TMPDIR (or /tmp); remove it with ``remove(_:)``.
    static func make(prefix: String = "runsc-tests") throws -> String {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestSetupError(description: "mkdtemp in \(base) failed: errno \(errno)")
        }
        return String(cString: made)
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    static func remove(parentOf path: String) {
        remove(String(path[..<path.lastIndex(of: "/")!]))
    }
}

func writeFile(_ path: String, _ text: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
        throw TestSetupError(description: "cannot write \(path)")
    }
}

func appendFile(_ path: String, _ text: String) throws {
    let fd = open(path, O_WRONLY | O_APPEND)
    guard fd >= 0 else { throw TestSetupError(description: "cannot open \(path): errno \(errno)") }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    guard write(fd, bytes, bytes.count) == bytes.count else {
        throw TestSetupError(description: "cannot append to \(path): errno \(errno)")
    }
}

func readFile(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
}

/// Reads everything from `fd` until end-of-file.
func readAll(_ fd: Int32) -> String {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count > 0 {
            bytes += chunk[0..<count]
        } else if count < 0 && errno == EINTR {
            continue
        } else {
            break
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The external programs these tests drive. Missing ones fail the test with the reason (never a skip).
enum Tools {
    static let busybox = "/bin/busybox"

    static func requireBusybox() throws -> String {
        guard access(busybox, X_OK) == 0 else {
            throw TestSetupError(
                description: "\(busybox) is missing: these tests run real processes; install busybox-static")
        }
        return busybox
    }

    /// runsc from PATH.
    static func requireRunsc() throws -> String {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") where access("\(directory)/runsc", X_OK) == 0 {
            return "\(directory)/runsc"
        }
        throw TestSetupError(
            description: "runsc is not on PATH (\(path)): the Runsc driver is tested against the real binary; "
                + "install it (Debian: apt-get install runsc)")
    }

    static func requireRoot() throws {
        guard getuid() == 0 else {
            throw TestSetupError(description: "runsc containers need root; run the tests as root (uid is \(getuid()))")
        }
    }

    /// A busybox command line as a ``RunscCommand`` for the executor tests.
    static func busyboxCommand(_ arguments: [String], stdin: [UInt8]? = nil) throws -> RunscCommand {
        RunscCommand(executable: try requireBusybox(), arguments: arguments, stdin: stdin, subcommand: arguments[0])
    }
}
