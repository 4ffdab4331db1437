/// Learns how spawned children exit and drains what they print: the hook that lets a process with a reaper
/// and an event loop own `waitpid` and the capture pipes.
///
/// A child subreaper (the shim) reaps everything with `waitpid(-1)`, so nothing else may wait for a
/// specific pid. It conforms by keeping exits nobody asked for yet, so one reaped straight after the fork is
/// not lost, and returns a ``WatchedChild`` that resolves from its reap loop; it reads capture pipes on the
/// same event loop. Outside such a process, ``ThreadWaiter`` and the default ``capture(_:)`` (one shared
/// blocking thread) do the job.
public protocol ChildWaiter: Sendable {
    /// Calls `spawn` (which starts a child and returns its pid, or throws) and returns the way to await
    /// that child's exit.
    func watch(spawn: () throws -> Int32) throws -> WatchedChild

    /// Takes ownership of `fd`, the parent's read end of a child's capture pipe, and drains it until the
    /// capture is finished.
    func capture(_ fd: Int32) -> OutputCapture
}

extension ChildWaiter {
    /// The blocking path: one background thread polls every capture pipe of the process.
    public func capture(_ fd: Int32) -> OutputCapture {
        OutputCollector.shared.capture(fd)
    }
}

/// A capture pipe being drained. ``finish()`` is called once the child has exited: it reads what is still
/// buffered without blocking, closes the pipe and returns every byte. End-of-file is not awaited, because
/// runsc's descendants (the sandbox) may hold the write end for the container's whole life.
public struct OutputCapture: Sendable {
    private let end: @Sendable () async -> [UInt8]

    public init(finish: @escaping @Sendable () async -> [UInt8]) { self.end = finish }

    /// Ends the capture; call once.
    public func finish() async -> [UInt8] { await end() }
}

/// A child whose exit a ``ChildWaiter`` will deliver.
public struct WatchedChild: Sendable {
    public let pid: Int32
    private let status: @Sendable () async throws -> ProcessExitStatus

    public init(pid: Int32, exitStatus: @escaping @Sendable () async throws -> ProcessExitStatus) {
        self.pid = pid
        self.status = exitStatus
    }

    /// Suspends until the child has exited and been reaped.
    public func exitStatus() async throws -> ProcessExitStatus {
        try await status()
    }
}

/// The child could not be waited for.
public struct ChildWaitError: Error, Sendable, Hashable, CustomStringConvertible {
    public var pid: Int32
    public var errno: Int32

    public init(pid: Int32, errno: Int32) {
        self.pid = pid
        self.errno = errno
    }

    public var description: String {
        "cannot wait for child \(pid): \(POSIX.describe(errno)) (errno \(errno))"
    }
}
