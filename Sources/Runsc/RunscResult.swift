/// What a finished runsc child left behind.
public struct RunscResult: Sendable, Hashable {
    /// The child's host pid.
    public var pid: Int32
    public var status: ProcessExitStatus
    /// Captured stdout; empty unless ``RunscStdio/Output/capture`` was asked for.
    public var stdout: [UInt8]
    /// Captured stderr; empty unless ``RunscStdio/Output/capture`` was asked for.
    public var stderr: [UInt8]

    public init(pid: Int32, status: ProcessExitStatus, stdout: [UInt8] = [], stderr: [UInt8] = []) {
        self.pid = pid
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}
