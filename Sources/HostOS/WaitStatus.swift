import Glibc

/// How a child process ended: the one decoder of `waitpid`'s status word in the project.
public enum WaitStatus: Sendable, Hashable, CustomStringConvertible {
    /// It called exit with this code (0…255).
    case exited(Int32)
    /// A signal killed it.
    case signaled(Int32)

    /// Decodes a `waitpid` status word (WIFEXITED / WTERMSIG; stopped children are not waited for here).
    public init(rawValue status: Int32) {
        let signal = status & 0x7f
        self = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    /// The shell convention containerd reports: the exit code, or 128 + the signal number.
    public var code: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    /// True for `exited(0)`.
    public var isSuccess: Bool { self == .exited(0) }

    public var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
    }
}

extension WaitStatus {
    /// Blocks until `pid` (a child of this process) exits and reaps it; `EINTR` is retried.
    ///
    /// Only for processes where nobody else reaps with `waitpid(-1)`: a subreaper (the shim) must use its reaper.
    public static func wait(for pid: pid_t) throws(SystemError) -> WaitStatus {
        var status: Int32 = 0
        while true {
            if waitpid(pid, &status, 0) == pid { return WaitStatus(rawValue: status) }
            guard errno == EINTR else { throw SystemError(operation: "waitpid(\(pid))", errno: errno) }
        }
    }
}

/// A failed system call: the call (with what it acted on) and errno's text. The one error of every library's own
/// system calls that have no richer error of their own (file operations have ``FileSystemError``).
public struct SystemError: Error, Sendable, Hashable, CustomStringConvertible {
    public let operation: String
    public let errno: Int32

    public init(operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}
