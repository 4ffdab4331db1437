/// Arguments of `runsc wait` besides the container id. Both empty waits for the container's init.
public struct WaitOptions: Sendable, Hashable {
    /// `--pid`: wait for this pid of the container's pid namespace instead.
    public var pid: Int32?
    /// `--rootpid`: wait for this pid of the sandbox's root pid namespace instead.
    public var rootPid: Int32?

    public init(pid: Int32? = nil, rootPid: Int32? = nil) {
        self.pid = pid
        self.rootPid = rootPid
    }
}
