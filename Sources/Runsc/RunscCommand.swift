/// A fully built runsc invocation: what to execute, what to feed it, and how to read what it prints.
///
/// Building is separate from running so the shim can hand the same command to whichever executor owns child
/// processes (the default ``ProcessExecutor`` or one backed by the shim's reaper).
public struct RunscCommand: Sendable, Hashable {
    /// The program to execute; a bare name is looked up in `PATH`.
    public var executable: String
    /// Everything after `argv[0]`: global flags, subcommand, its flags and operands.
    public var arguments: [String]
    /// Bytes written to the child's stdin (then closed), for `update --resources=-`.
    public var stdin: [UInt8]?
    /// How to decode stdout on success.
    public var output: RunscOutput
    /// runsc's `--log` file; when set, a failure is explained by the `"level":"error"` entries it appends.
    public var logPath: String?
    /// The subcommand, for error messages (`"start"`); empty when not a runsc command.
    public var subcommand: String
    /// The container the command is about, for error messages.
    public var containerID: String?

    public init(
        executable: String, arguments: [String], stdin: [UInt8]? = nil, output: RunscOutput = .none,
        logPath: String? = nil, subcommand: String = "", containerID: String? = nil
    ) {
        self.executable = executable
        self.arguments = arguments
        self.stdin = stdin
        self.output = output
        self.logPath = logPath
        self.subcommand = subcommand
        self.containerID = containerID
    }

    /// The full argument vector, `argv[0]` included.
    public var argv: [String] { [executable] + arguments }
}
