/// runsc ran and failed. Carries runsc's own explanation so callers can show it rather than an exit code.
public struct RunscError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The subcommand that failed (`"start"`).
    public var subcommand: String
    /// The container it was about, if any.
    public var containerID: String?
    /// How runsc ended.
    public var exitStatus: ProcessExitStatus
    /// runsc's error text: the last `"level":"error"` message it appended to its `--log` during this run,
    /// else its stderr (trimmed), else `nil` when it said nothing.
    public var message: String?
    /// Whatever runsc wrote to stderr (trimmed, at most the last 4 KiB), if stderr was captured.
    public var stderr: String

    public init(
        subcommand: String, containerID: String?, exitStatus: ProcessExitStatus, message: String?, stderr: String = ""
    ) {
        self.subcommand = subcommand
        self.containerID = containerID
        self.exitStatus = exitStatus
        self.message = message
        self.stderr = stderr
    }

    /// runsc reports an unknown container with "does not exist"; the Go shim treats that text as "stopped" or
    /// "already deleted", and so can callers.
    public var isNotFound: Bool {
        message?.contains("does not exist") ?? false
    }

    /// runsc does not know the subcommand (e.g. `update` before 2023): it printed its top-level usage instead.
    public var isUnknownSubcommand: Bool {
        message == nil || message == stderr ? stderr.contains("Subcommands:") : false
    }

    public var description: String {
        let target = containerID.map { " \($0)" } ?? ""
        let reason = message.map { ": \($0)" } ?? ""
        return "runsc \(subcommand)\(target) failed (\(exitStatus))\(reason)"
    }
}

/// runsc could not be started at all.
public struct RunscSpawnError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The executable that was to run.
    public var executable: String
    /// The `errno` from `posix_spawn` or from preparing its file descriptors.
    public var errno: Int32
    /// What was being done when it failed.
    public var operation: String

    public init(executable: String, errno: Int32, operation: String = "posix_spawn") {
        self.executable = executable
        self.errno = errno
        self.operation = operation
    }

    public var description: String {
        "cannot start \(executable): \(operation): \(POSIX.describe(errno)) (errno \(errno))"
    }
}
