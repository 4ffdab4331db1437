import GVisorConfig
import Glibc
import HostOS
import Runsc
import ShimAPI
import SwiftProtobuf

/// Start, exit, Kill, Pause and Resume of a container's processes, by exec id ("" = the init). What differs between
/// the init and an exec is the process's role (ContainerProcess.Role); the state machine and the exit path are one.
extension Container {
    // MARK: Start

    /// Starts the process, publishes TaskStart (init) or TaskExecStarted (exec), and watches for its exit, which
    /// is recorded and published as TaskExit by the process record's watcher. Returns the pid containerd shows.
    func start(_ execID: String) async throws -> UInt32 {
        let process = try process(execID)
        switch process.role {
        case .initProcess:
            let watch = try await startInit()
            let pid = initProcess.state.pid
            await publisher.publish(
                Containerd_Events_TaskStart.with {
                    $0.containerID = id.rawValue
                    $0.pid = pid
                })
            watchExit("", watch)
            return pid
        case .exec:
            let pid = try await startExec(execID)
            await publisher.publish(
                Containerd_Events_TaskExecStarted.with {
                    $0.containerID = id.rawValue
                    $0.execID = execID
                    $0.pid = UInt32(bitPattern: pid)
                })
            watchExit(execID, .reaped(pid))
            return UInt32(bitPattern: pid)
        }
    }

    /// `runsc start`, then the terminal of a subcontainer; returns how the init's exit will be learned.
    private func startInit() async throws -> ContainerProcess.ExitWatch {
        try initProcess.state.check(.start)
        do {
            try await runsc.start(id: id.rawValue, stdio: isSubcontainer ? io.runscStdio : .null)
        } catch {
            if isSubcontainer { io.closeChildEnds() }
            throw error
        }
        if isSubcontainer { io.closeChildEnds() }
        if let console = pendingConsole {
            pendingConsole = nil
            defer { console.close() }
            do { io.attachConsole(try console.receiveMaster()) } catch {
                log.warning("no terminal from runsc start", [("id", id.rawValue), ("error", "\(error)")])
            }
        }
        // The process may have been killed while runsc started it: the transition says so.
        try mutate("") { try $0.state.apply(.start) }
        guard isSubcontainer else { return .reaped(pid_t(bitPattern: initProcess.state.pid)) }
        return .runscWait(try runsc.spawnWait(id: id.rawValue))
    }

    // MARK: Exit

    /// Hands the exit watching to the process record: its task learns the exit status and records it.
    private func watchExit(_ execID: String, _ watch: ContainerProcess.ExitWatch) {
        let watcher = Task {
            let status: Int32
            switch watch {
            case .reaped(let pid):
                status = WaitStatus(rawValue: await services.reaper.wait(for: pid)).code
            case .runscWait(let pending):
                do { status = try await pending.value().exitStatus } catch { status = await statusAfterFailedWait() }
            }
            await exited(execID, status: status)
        }
        _ = try? mutate(execID) { $0.exitWatcher = watcher }
    }

    /// `runsc wait` failed, counted as 128 (gVisor's internal error code) after the container's processes are
    /// killed. It fails when the whole sandbox died (killed, OOM): then the pod's fate is the container's, the
    /// sandbox's exit status, awaited for at most 2 s (its exit is reaped independently of the failed wait).
    private func statusAfterFailedWait() async -> Int32 {
        try? await runsc.kill(id: id.rawValue, signal: SIGKILL, options: KillOptions(all: true))
        guard let sandbox, let sandboxExit = await sandbox.initExit(within: .seconds(2)) else { return 128 }
        return Int32(bitPattern: sandboxExit.exitStatus)
    }

    /// Records the exit, finishes the process's output, and publishes TaskExit (once, whoever reports first).
    func exited(_ execID: String, status: Int32) async {
        guard let process = try? process(execID), process.state.status != .stopped else { return }
        if process.isInit {
            // Before the exit: CRI marks a container OOMKilled only if TaskOOM came first.
            await reportOOM()
            // Whatever is left of an app container dies with its init, as with runc and gVisor's shim: runsc
            // 20221219 puts a pod's app containers in one PID namespace, so nothing else would end its orphans.
            // `--all` signals this container's processes only. A root container's exit is its sandbox's end.
            if isSubcontainer {
                try? await runsc.kill(id: id.rawValue, signal: SIGKILL, options: KillOptions(all: true))
            }
        }
        await process.io.drained()
        guard recordExit(execID, status: status), let state = try? self.process(execID).state else { return }
        log.debug("exited", [("id", id.rawValue), ("exec", execID), ("status", "\(status)")])
        await publisher.publish(
            Containerd_Events_TaskExit.with {
                $0.containerID = id.rawValue
                $0.id = execID.isEmpty ? id.rawValue : execID
                $0.pid = state.pid
                $0.exitStatus = state.exitStatus
                $0.exitedAt = state.exitedAt ?? .now()
            })
    }

    // MARK: Kill

    /// Signals the process. Like runc-v2 (checkKillError of pkg/process): any signal to a finished process is
    /// NotFound, which callers (CRI's StopContainer, the client's WithProcessKill) take as "already gone".
    func kill(_ execID: String, signal: UInt32, all: Bool) async throws {
        let process = try process(execID)
        try Self.checkSignal(signal)
        if process.state.status == .stopped { throw ShimError.notFound("process already finished") }
        switch process.role {
        case .initProcess: try await killInit(signal: signal, all: all)
        case .exec: try await killExec(execID, signal: signal)
        }
    }

    private func killInit(signal: UInt32, all: Bool) async throws {
        if initProcess.state.status == .created, signal == SIGKILL || signal == SIGTERM {
            return await killUnstarted(signal: Int32(signal))
        }
        do {
            try await runsc.kill(id: id.rawValue, signal: Int32(signal), options: KillOptions(all: all))
        } catch let error as RunscError where initProcess.state.status == .stopped || error.isNotFound {
            if initProcess.state.status != .stopped { throw ShimError.notFound("process already finished: \(error)") }
        }
    }

    /// A created container has no exit watch yet, and runsc refuses to signal it ("in state created"); CRI
    /// cleans up a pod whose start failed with Kill, Wait, Delete, and must not get stuck at the first step.
    /// The sandbox process of a root container is killed directly (runsc delete removes the rest); a
    /// subcontainer's processes do not exist yet, and its sandbox belongs to the pod.
    private func killUnstarted(signal: Int32) async {
        if !isSubcontainer, initProcess.state.pid > 0 { Glibc.kill(pid_t(bitPattern: initProcess.state.pid), SIGKILL) }
        io.closeChildEnds()
        log.info("killed before start", [("id", id.rawValue), ("signal", "\(signal)")])
        await exited("", status: 128 + signal)
    }

    static func checkSignal(_ signal: UInt32) throws(ShimError) {
        guard signal > 0, signal < 65 else {
            throw .invalidArgument("invalid signal \(signal): expected a signal number from 1 to 64")
        }
    }

    // MARK: Pause, Resume, Pids

    func pause() async throws {
        try initProcess.state.check(.pause)
        try await runsc.pause(id: id.rawValue)
        try mutate("") { try $0.state.apply(.pause) }
    }

    func resume() async throws {
        try initProcess.state.check(.resume)
        try await runsc.resume(id: id.rawValue)
        try mutate("") { try $0.state.apply(.resume) }
    }

    func pids() async throws -> [UInt32] {
        try await runsc.ps(id: id.rawValue).map { UInt32(bitPattern: $0) }
    }

    /// A console socket for a terminal process.
    nonisolated func consoleSocket() throws(ShimError) -> ConsoleSocket {
        try ShimError.wrapping(.internalError, "console socket for \(id)") { try ConsoleSocket() }
    }
}
