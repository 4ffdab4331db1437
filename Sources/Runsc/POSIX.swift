import Glibc

/// The few system calls the driver needs, with `EINTR` handled and `errno` turned into Swift errors.
///
/// `pipe2` is a GNU extension the Glibc module does not import; it is looked up once with `dlsym` (present in
/// every glibc since 2.9) and the code falls back to `pipe` where it is missing.
enum POSIX {
    /// Runs `body` on a new detached thread with a small stack; returns pthread_create's result
    /// (0 on success). The driver's helper threads only block in syscalls.
    static func detachedThread(_ body: @escaping @Sendable () -> Void) -> Int32 {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attributes, 512 << 10)
        let box = Unmanaged.passRetained(Box(body))
        var thread = pthread_t()
        let created = pthread_create(
            &thread, &attributes,
            { argument in
                Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue().body()
                return nil
            }, box.toOpaque())
        if created != 0 { box.release() }
        return created
    }

    struct Failure: Error {
        var call: String
        var errno: Int32
    }

    static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32

    static let pipe2: Pipe2? = dlsym(nil, "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }

    /// A close-on-exec pipe: `(read, write)`.
    static func makePipe() throws(Failure) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        if let pipe2 {
            guard pipe2(&fds, O_CLOEXEC) == 0 else { throw Failure(call: "pipe2", errno: errno) }
        } else {
            guard pipe(&fds) == 0 else { throw Failure(call: "pipe", errno: errno) }
            _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        }
        return (fds[0], fds[1])
    }

    static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    static func closeQuietly(_ fd: Int32) {
        if fd >= 0 { _ = close(fd) }
    }

    /// Writes all of `bytes` to a non-blocking descriptor; returns how many were written before it would block.
    static func writeAvailable(_ fd: Int32, _ bytes: [UInt8]) throws(Failure) -> Int {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress! + written, buffer.count - written)
            }
            if result > 0 {
                written += result
            } else if result < 0 && errno == EINTR {
                continue
            } else if result < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                break
            } else {
                throw Failure(call: "write", errno: errno)
            }
        }
        return written
    }

    /// Size of the file at `path`, or `nil` if it cannot be stat'ed.
    static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    /// The bytes of `path` from `offset` (from 0 if the file is shorter), at most the last `limit` of them.
    static func readFile(_ path: String, from offset: Int64, limit: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { _ = close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        let size = Int64(info.st_size)
        var start = offset <= size ? offset : 0
        start = max(start, size - Int64(limit))
        guard lseek(fd, off_t(start), SEEK_SET) >= 0 else { return nil }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while bytes.count < limit {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes += chunk[0..<count]
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        return bytes
    }
}
