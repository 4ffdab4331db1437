/// Arguments of `runsc create` besides the container id.
public struct CreateOptions: Sendable, Hashable {
    /// `--bundle`: the OCI bundle directory (holds `config.json`).
    public var bundle: String
    /// `--pid-file`: runsc writes the sandbox's host pid here.
    public var pidFile: String?
    /// `--console-socket`: AF_UNIX socket that receives the pty master when `process.terminal` is set.
    public var consoleSocket: String?
    /// `--user-log`: user-visible sandbox log (`<sandbox-log-dir>/gvisor.log` for a pod sandbox).
    public var userLog: String?

    public init(bundle: String, pidFile: String? = nil, consoleSocket: String? = nil, userLog: String? = nil) {
        self.bundle = bundle
        self.pidFile = pidFile
        self.consoleSocket = consoleSocket
        self.userLog = userLog
    }
}
