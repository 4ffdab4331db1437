import CShim
import Glibc
import HostOS

/// Minimal unix-socket operations for `start`: bind the listener the daemon inherits as fd 3, and
/// probe whether a shim already answers on an address. Kept as plain syscalls because `start` is a
/// short-lived process that should not spin up an event loop.
enum UnixSocket {
    /// Creates, binds and listens on `path` (mode 0600, directory 0700). EADDRINUSE is reported as
    /// `SystemError` with that errno so the caller can decide to reuse or replace the socket.
    static func listen(path: String, backlog: Int32 = 128) throws(SystemError) -> CInt {
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if !directory.isEmpty { try makeDirectories(directory, mode: 0o700) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError(operation: "socket", errno: errno) }
        var address = try socketAddress(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let error = errno
            close(fd)
            throw SystemError(operation: "bind \(path)", errno: error)
        }
        guard chmod(path, 0o600) == 0, Glibc.listen(fd, backlog) == 0 else {
            let error = errno
            close(fd)
            unlink(path)
            throw SystemError(operation: "listen \(path)", errno: error)
        }
        return fd
    }

    /// Connects to `path` and returns the peer's pid when something accepts within the timeout.
    static func probe(path: String, timeoutMilliseconds: Int32 = 100) -> pid_t? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 0, tv_usec: Int(timeoutMilliseconds) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard var address = try? socketAddress(path) else { return nil }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { return nil }
        let pid = cshim_peer_pid(fd)
        return pid > 0 ? pid : nil
    }

    static func socketAddress(_ path: String) throws(SystemError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw SystemError(operation: "socket path \(path)", errno: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }
}

/// `mkdir -p` with a mode for the directories it creates (HostOS), failing with the shim's `SystemError`.
func makeDirectories(_ path: String, mode: mode_t) throws(SystemError) {
    do { try FileSystem.makeDirectories(path, mode: mode) } catch {
        throw SystemError(operation: "\(error.operation) \(error.path)", errno: error.code)
    }
}
