import Glibc
import Runsc

/// One process of a container, its init or an exec: one record and one state machine for both, as
/// containerd/rust-extensions' runc shim has one `ProcessTemplate` for init and exec processes, differing only in
/// their lifecycle strategy. Here the strategy is `role`: how runsc starts and signals the process, and how its exit
/// is learned. A container finds its processes by exec id, "" being the init (`Container.process(_:)`), so the Task
/// RPCs treat both alike.
struct ContainerProcess: Sendable {
    enum Role: Sendable {
        /// The container's init: `runsc start`, signalled with `runsc kill [--all]`; its exit is the sandbox
        /// process's (a root container) or `runsc wait`'s (an app container of a pod).
        case initProcess
        /// Added by Exec: `spec` is its OCI `process` JSON (with `terminal` as the request asked); run by
        /// `runsc exec --detach`, signalled with `runsc kill --pid`; its exit is the `runsc exec` process's.
        case exec(spec: [UInt8])
    }

    /// How the exit of a started process is learned.
    enum ExitWatch: Sendable {
        /// A child of the shim whose wait status is the process's: a sandbox process, or the `runsc exec` process
        /// that lives as long as an exec (re-parented to the shim, a child subreaper).
        case reaped(pid_t)
        /// `runsc wait` for an app container; failing, it means the sandbox itself is gone.
        case runscWait(RunscPending<RunscWaitStatus>)
    }

    /// "" for the init.
    let execID: String
    let role: Role
    let io: ContainerIO
    var state: ProcessState
    /// An exec's pid inside the sandbox (`--internal-pid-file`), the one `runsc kill --pid` takes.
    var internalPid: Int32?
    /// Suspended Waits, by token, resumed when the exit is recorded (or, for bounded waits, when time is up).
    var exitWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    /// The task that learns the exit of the started process and records it; held by the record, so the exit
    /// watching lives and ends with the process and the container that owns it.
    var exitWatcher: Task<Void, Never>?

    init(execID: String, role: Role, io: ContainerIO, state: ProcessState) {
        self.execID = execID
        self.role = role
        self.io = io
        self.state = state
    }

    var isInit: Bool { execID.isEmpty }
}
