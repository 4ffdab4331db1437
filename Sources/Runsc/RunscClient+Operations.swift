/// One method per runsc operation the shim uses. Commands whose child runs container code (`create`, `start`,
/// `exec`) take the container's stdio explicitly; the rest capture runsc's output.
extension RunscClient {
    /// `runsc create`. For a pod sandbox, `stdio` becomes the container's stdio.
    public func create(id: String, options: CreateOptions, stdio: RunscStdio) async throws {
        try await run(try runsc.command(.create(id: id, options)), stdio: stdio)
    }

    /// `runsc start`. For a container other than the pod sandbox, `stdio` becomes the container's stdio.
    public func start(id: String, stdio: RunscStdio) async throws {
        try await run(try runsc.command(.start(id: id)), stdio: stdio)
    }

    /// `runsc state`.
    public func state(id: String) async throws -> RunscState {
        try await spawnDecoding(.state(id: id), RunscDecoder.state).value()
    }

    /// `runsc wait`, spawned now so it is already waiting when a kill follows; await ``RunscPending/value()``.
    /// runsc 20221219 can only report the exit of a process it saw running: start this after `start`, and before
    /// anything that may end the container.
    public func spawnWait(id: String, options: WaitOptions = WaitOptions()) throws -> RunscPending<RunscWaitStatus> {
        try spawnDecoding(.wait(id: id, options), RunscDecoder.wait)
    }

    /// `runsc wait`, spawned and awaited.
    public func wait(id: String, options: WaitOptions = WaitOptions()) async throws -> RunscWaitStatus {
        try await spawnWait(id: id, options: options).value()
    }

    /// `runsc kill`. `signal` is a number (`SIGKILL` is 9).
    public func kill(id: String, signal: Int32, options: KillOptions = KillOptions()) async throws {
        try await run(try runsc.command(.kill(id: id, signal: signal, options)))
    }

    /// `runsc delete`.
    public func delete(id: String, options: DeleteOptions = DeleteOptions()) async throws {
        try await run(try runsc.command(.delete(id: id, options)))
    }

    /// `runsc exec`, spawned now. With ``ExecOptions/detach`` runsc returns once the process started, so
    /// ``RunscPending/value()`` succeeding means "started". Without it the child lives as long as the process
    /// and exits with its status: read that from ``RunscPending/process``'s ``RunscProcess/wait()`` instead,
    /// since a non-zero status is then the process's, not a runsc failure.
    public func spawnExec(id: String, options: ExecOptions, stdio: RunscStdio) throws -> RunscPending<RunscResult> {
        try spawn(try runsc.command(.exec(id: id, options)), stdio: stdio)
    }

    /// `runsc exec`, spawned and awaited; see ``spawnExec(id:options:stdio:)``.
    @discardableResult
    public func exec(id: String, options: ExecOptions, stdio: RunscStdio) async throws -> RunscResult {
        try await spawnExec(id: id, options: options, stdio: stdio).value()
    }

    /// `runsc ps --format json`: pids inside the container's pid namespace.
    public func ps(id: String) async throws -> [Int32] {
        try await spawnDecoding(.ps(id: id), RunscDecoder.pids).value()
    }

    /// `runsc events --stats`.
    public func stats(id: String) async throws -> RunscStats {
        try await spawnDecoding(.stats(id: id), RunscDecoder.stats).value()
    }

    /// `runsc pause`.
    public func pause(id: String) async throws {
        try await run(try runsc.command(.pause(id: id)))
    }

    /// `runsc resume`.
    public func resume(id: String) async throws {
        try await run(try runsc.command(.resume(id: id)))
    }

    /// `runsc update --resources=-`, with `resources` (the JSON of an OCI `LinuxResources`) on stdin.
    public func update(id: String, resources: [UInt8]) async throws {
        try await run(try runsc.command(.update(id: id, resources: resources)))
    }

    /// `runsc write-control <id> <controller> <path> <file> <value>`: a control file of runsc's own cgroupfs (the
    /// container's view of its cgroups), not of the host.
    public func writeControl(id: String, controller: String, path: String = "/", file: String, value: String)
        async throws
    {
        let id = try Runsc.validContainerID(id)
        try await run(
            try runsc.command(subcommand: "write-control", arguments: [id, controller, path, file, value]))
    }

    /// The first line of `runsc --version` (`runsc version 0.0~20221219.0`).
    public func version() async throws -> String {
        let result = try await run(try runsc.command(subcommand: "--version", arguments: []))
        let text = String(decoding: result.stdout, as: UTF8.self)
        return text.split(separator: "\n").first.map(String.init) ?? text
    }

    /// `runsc checkpoint`.
    public func checkpoint(id: String, options: CheckpointOptions) async throws {
        try await run(try runsc.command(.checkpoint(id: id, options)))
    }

    /// Reads a pid file runsc wrote (`--pid-file`, `--internal-pid-file`).
    public static func readPidFile(_ path: String) throws -> Int32 {
        guard let bytes = POSIX.readFile(path, from: 0, limit: 64) else {
            throw RunscArgumentError(field: "pid file", value: path, expected: "a readable file")
        }
        let text = RunscLog.trimmed(String(decoding: bytes, as: UTF8.self))
        guard let pid = Int32(text), pid > 0 else {
            throw RunscArgumentError(field: "pid file \(path)", value: text, expected: "a positive decimal pid")
        }
        return pid
    }

    private func spawnDecoding<Output: Sendable>(
        _ operation: RunscOperation, _ decode: @escaping @Sendable ([UInt8]) throws(RunscOutputError) -> Output
    ) throws -> RunscPending<Output> {
        try spawn(try runsc.command(operation), stdio: .captured) { result in try decode(result.stdout) }
    }
}
