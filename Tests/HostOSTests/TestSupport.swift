import Glibc
import HostOS
import Testing

/// A fresh directory under /tmp, removed with everything in it when `body` returns.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    var template = Array("/tmp/hostos-tests.XXXXXX".utf8CString)
    let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    let directory = try #require(created.map { String(cString: $0) }, "mkdtemp: \(String(cString: strerror(errno)))")
    defer { removeTree(directory) }
    return try body(directory)
}

/// `rm -r` for the small trees these tests make; symbolic links are removed, never followed.
func removeTree(_ path: String) {
    if FileSystem.linkStatus(path)?.kind == .directory {
        for name in (try? Directory.entries(path)) ?? [] { removeTree(path + "/" + name) }
        rmdir(path)
    } else {
        unlink(path)
    }
}

/// Writes `text` with plain POSIX calls (not the code under test).
func plainWrite(_ text: String, to path: String, mode: mode_t = 0o644) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    try #require(fd >= 0, "open \(path): \(String(cString: strerror(errno)))")
    defer { close(fd) }
    let bytes = Array(text.utf8)
    try #require(write(fd, bytes, bytes.count) == bytes.count)
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
