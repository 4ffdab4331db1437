/// Learns how spawned children exit. The hook that lets a process with a reaper own `waitpid`.
///
/// A child subreaper (the shim) reaps everything with `waitpid(-1)`, so nothing else may wait for a
/// specific pid. It conforms by subscribing to its reap loop *before* calling `spawn`, so an exit reaped
/// straight after the fork is not lost, and returns a ``WatchedChild`` that resolves from that subscription.
/// Outside such a process, ``ThreadWaiter`` does the job.
public protocol ChildWaiter: Sendable {
    /// Calls `spawn` (which starts a child and returns its pid, or throws) and returns the way to await
    /// that child's exit.
    func watch(spawn: () throws -> Int32) throws -> WatchedChild
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
