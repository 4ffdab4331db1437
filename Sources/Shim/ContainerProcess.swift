/// A process added to a running container with Exec: recorded at Exec, run by `runsc exec` at Start.
struct ExecProcess: Sendable {
    let id: String
    /// The OCI `process` JSON, with `terminal` as the request asked.
    let spec: [UInt8]
    let io: ContainerIO
    var state: ProcessState
    /// The process's pid inside the sandbox (`--internal-pid-file`), the one `runsc kill --pid` takes.
    var internalPid: Int32?
    var waiters: [CheckedContinuation<Void, Never>] = []

    init(id: String, spec: [UInt8], io: ContainerIO) {
        self.id = id
        self.spec = spec
        self.io = io
        self.state = ProcessState(pid: 0)
    }
}
