/// Arguments of `runsc exec` besides the container id.
public struct ExecOptions: Sendable, Hashable {
    /// `--process`: a file holding the OCI `process` JSON to run.
    public var processSpecPath: String
    /// `--console-socket`: receives the pty master when the process has a terminal.
    public var consoleSocket: String?
    /// `--detach`: runsc returns once the process started; a forked runsc keeps waiting for it.
    public var detach: Bool
    /// `--pid-file`: host pid of the runsc process that lives as long as the exec'd process.
    public var pidFile: String?
    /// `--internal-pid-file`: the process's pid inside the sandbox, the one `kill --pid` takes.
    public var internalPidFile: String?

    public init(
        processSpecPath: String, consoleSocket: String? = nil, detach: Bool = false, pidFile: String? = nil,
        internalPidFile: String? = nil
    ) {
        self.processSpecPath = processSpecPath
        self.consoleSocket = consoleSocket
        self.detach = detach
        self.pidFile = pidFile
        self.internalPidFile = internalPidFile
    }
}
