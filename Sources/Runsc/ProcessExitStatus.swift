import HostOS

/// How a child process ended: the host layer's one wait-status type, under the name the driver's API uses.
public typealias ProcessExitStatus = WaitStatus

extension WaitStatus {
    /// Decodes a `waitpid` status word, so a reaper elsewhere in the process can report exits in these terms.
    public init(waitStatus: Int32) { self.init(rawValue: waitStatus) }
}
