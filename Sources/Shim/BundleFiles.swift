import Glibc

/// Files in the bundle directory that containerd and the shim exchange (`address`, `shim.pid`,
/// `config.json`, ...). Writes are atomic (temp file + rename) because containerd may read them
/// at any moment, and a torn `address` file strands a container.
struct BundleFiles {
    let directory: String

    func path(_ name: String) -> String { "\(directory)/\(name)" }

    func write(_ name: String, _ contents: String, mode: mode_t = 0o644) throws(SystemError) {
        try writeAtomically(path: path(name), bytes: Array(contents.utf8), mode: mode)
    }

    func read(_ name: String) -> [UInt8]? { readFile(path(name)) }
}

/// Writes `bytes` to a temporary file beside `path`, fsyncs it and renames it into place.
func writeAtomically(path: String, bytes: [UInt8], mode: mode_t = 0o644) throws(SystemError) {
    let temporary = "\(path).tmp.\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw SystemError(operation: "open \(temporary)", errno: errno) }
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
        if written < 0 {
            if errno == EINTR { continue }
            let error = errno
            close(fd)
            unlink(temporary)
            throw SystemError(operation: "write \(temporary)", errno: error)
        }
        offset += written
    }
    fsync(fd)
    close(fd)
    guard rename(temporary, path) == 0 else {
        let error = errno
        unlink(temporary)
        throw SystemError(operation: "rename \(temporary) to \(path)", errno: error)
    }
}

/// The whole file, or nil when it cannot be read.
func readFile(_ path: String, limit: Int = 16 << 20) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    return readAll(fd: fd, limit: limit)
}

/// Reads a descriptor to its end (or `limit` bytes).
func readAll(fd: CInt, limit: Int = 16 << 20) -> [UInt8]? {
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while result.count < limit {
        let n = read(fd, &buffer, buffer.count)
        if n < 0 {
            if errno == EINTR { continue }
            return nil
        }
        if n == 0 { break }
        result += buffer[0..<n]
    }
    return result
}
