import CShim
import Glibc
import HostOS

/// The `--console-socket` runsc sends a terminal process's pty master to. runsc connects and sends
/// the descriptor before the command that set up the terminal returns (`create` for a pod sandbox,
/// `start` for other containers, `exec`), so the message is already queued when we accept.
/// Lives in a private temporary directory because socket paths are limited to 107 bytes, which a
/// bundle path with a long container id could exceed.
final class ConsoleSocket: Sendable {
    let path: String
    private let directory: String
    private let listener: CInt

    init() throws(SystemError) {
        var template = Array("/tmp/gvisor-pty.XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw SystemError(operation: "mkdtemp /tmp/gvisor-pty.XXXXXX", errno: errno)
        }
        directory = String(cString: made)
        path = "\(directory)/pty.sock"
        do {
            listener = try UnixSocket.listen(path: path, backlog: 1)
        } catch {
            rmdir(directory)
            throw error
        }
    }

    /// The pty master runsc sent; the caller owns it.
    func receiveMaster(timeoutMilliseconds: Int32 = 5_000) throws(SystemError) -> CInt {
        let fd = cshim_receive_fd(listener, timeoutMilliseconds)
        guard fd >= 0 else { throw SystemError(operation: "receiving the pty master on \(path)", errno: errno) }
        return fd
    }

    /// Removes the socket and its directory.
    func close() {
        Glibc.close(listener)
        unlink(path)
        rmdir(directory)
    }
}
