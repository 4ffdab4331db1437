/// Runs ``RunscCommand``s. Spawning returns at once with the child's pid; waiting is asynchronous and never
/// blocks a Swift concurrency thread.
///
/// The split matters to the shim: `runsc wait` must be running before a kill is sent, and exec needs the
/// pid before the exit. ``ProcessExecutor`` is the implementation; a test double or a remote runner can
/// conform too.
public protocol RunscExecutor: Sendable {
    /// Starts `command`. Throws ``RunscSpawnError`` if the child could not be started and
    /// ``RunscArgumentError`` if `stdio` conflicts with the command.
    func spawn(_ command: RunscCommand, stdio: RunscStdio) throws -> RunscProcess
}

extension RunscExecutor {
    /// Spawns and waits. Returns whatever the exit status; ``RunscClient`` turns failures into ``RunscError``.
    public func run(_ command: RunscCommand, stdio: RunscStdio = .captured) async throws -> RunscResult {
        try await spawn(command, stdio: stdio).wait()
    }
}

/// A started runsc child.
public struct RunscProcess: Sendable {
    public let command: RunscCommand
    /// The child's host pid, known before it exits.
    public let pid: Int32
    private let completion: Task<RunscResult, any Error>

    /// `completion` starts right away, so output is drained and the exit is collected even if nobody waits.
    public init(
        command: RunscCommand, pid: Int32, completion: @escaping @Sendable () async throws -> RunscResult
    ) {
        self.command = command
        self.pid = pid
        self.completion = Task { try await completion() }
    }

    /// The exit status and captured output once the child has exited. May be awaited any number of times.
    /// Cancelling the awaiting task does not stop the child: kill it by ``pid``.
    public func wait() async throws -> RunscResult {
        try await completion.value
    }
}
