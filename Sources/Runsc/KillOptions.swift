/// Arguments of `runsc kill` besides the container id and the signal.
public struct KillOptions: Sendable, Hashable {
    /// `--all`: signal every process of the container, not only its init.
    public var all: Bool
    /// `--pid`: signal this process instead (a pid inside the sandbox, from `--internal-pid-file`).
    public var pid: Int32?

    public init(all: Bool = false, pid: Int32? = nil) {
        self.all = all
        self.pid = pid
    }
}
