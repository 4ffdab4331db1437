import GVisorConfig
import Glibc
import Runsc
import ShimAPI
import SwiftProtobuf
import TTRPC

/// One container served by this shim: its init process, its stdio and how to drive runsc for it.
/// An actor, so RPCs for one container are ordered while other containers proceed independently.
actor Container {
    let id: ContainerID
    let bundle: String
    let runsc: RunscClient
    /// A CRI app container joins the pod's sandbox; its stdio goes to `runsc start`, and its exit
    /// is learned from `runsc wait`. Everything else is a sandbox root whose exit is the sandbox
    /// process's own.
    let isSubcontainer: Bool
    /// The pod's sandbox container served by this shim, for an app container (its fate when the sandbox dies);
    /// held so its exit status stays readable after CRI deleted the sandbox's task.
    let sandbox: Container?
    let io: ContainerIO
    /// Owner of the stdio pipes of the init and of every exec (IoUid/IoGid, runsc.toml's io_uid/io_gid).
    let ioOwner: ContainerIO.Owner?
    let rootfsMounted: Bool
    private(set) var process: ProcessState
    private var exitWaiters: [CheckedContinuation<Void, Never>] = []
    let log: ShimLog
    /// Set when the sandbox's memory cgroup is watched for OOM kills. Every container of a pod is: the host
    /// kills the sandbox as a whole, and CRI routes TaskOOM by container id.
    let oomWatcher: OOMWatcher?
    let statsCache = StatsCache()
    /// Exec processes by exec id (Container+Exec.swift).
    var execs: [String: ExecProcess] = [:]
    /// Where a subcontainer's pty master arrives at `runsc start`; the init's terminal of a pod
    /// sandbox arrives at `runsc create` instead and never needs this.
    private var pendingConsole: ConsoleSocket?

    init(
        id: ContainerID, bundle: String, runsc: RunscClient, isSubcontainer: Bool, io: ContainerIO,
        rootfsMounted: Bool, pid: UInt32, log: ShimLog, pendingConsole: ConsoleSocket? = nil,
        oomWatcher: OOMWatcher? = nil, sandbox: Container? = nil, ioOwner: ContainerIO.Owner? = nil
    ) {
        self.ioOwner = ioOwner
        self.sandbox = sandbox
        self.oomWatcher = oomWatcher
        self.pendingConsole = pendingConsole
        self.id = id
        self.bundle = bundle
        self.runsc = runsc
        self.isSubcontainer = isSubcontainer
        self.io = io
        self.rootfsMounted = rootfsMounted
        self.process = ProcessState(pid: pid)
        self.log = log
    }

    var status: ProcessState.Status { process.status }

    /// Starts the container and returns how its exit will be learned.
    func start(reaper: Reaper) async throws -> ExitWatch {
        guard process.status == .created else {
            throw TTRPCError.failedPrecondition("container \(id) is \(process.status), not created")
        }
        do {
            try await runsc.start(id: id.rawValue, stdio: isSubcontainer ? io.runscStdio : .null)
        } catch {
            if isSubcontainer { io.closeChildEnds() }
            throw Container.rpcError(error)
        }
        if isSubcontainer { io.closeChildEnds() }
        if let console = pendingConsole {
            pendingConsole = nil
            defer { console.close() }
            do { io.attachConsole(try console.receiveMaster()) } catch {
                log.warning("no terminal from runsc start", [("id", id.rawValue), ("error", "\(error)")])
            }
        }
        try? process.started()
        if isSubcontainer {
            let pending = try runsc.spawnWait(id: id.rawValue)
            return .runscWait(pending)
        }
        return .sandboxProcess(pid_t(process.pid), reaper)
    }

    enum ExitWatch: Sendable {
        case sandboxProcess(pid_t, Reaper)
        case runscWait(RunscPending<RunscWaitStatus>)

        /// The exit status in containerd's convention; runsc failures count as 128 (gVisor's
        /// internal error code), after which the container's processes are killed.
        func status() async -> (status: Int32, failed: Bool) {
            switch self {
            case .sandboxProcess(let pid, let reaper):
                return (Reaper.exitStatus(fromWaitStatus: await reaper.wait(for: pid)), false)
            case .runscWait(let pending):
                do {
                    return (try await pending.value().exitStatus, false)
                } catch {
                    return (128, true)
                }
            }
        }
    }

    /// Records the exit, finishes stdio, and returns the TaskExit to publish (nil if already exited).
    func exited(status: Int32, publisher: EventPublisher) async -> Containerd_Events_TaskExit? {
        guard process.status != .stopped else { return nil }
        // Before the exit: CRI marks a container OOMKilled only if TaskOOM came first.
        await reportOOM(publisher: publisher)
        // Whatever is left of an app container dies with its init, as with runc and gVisor's shim: runsc
        // 20221219 puts a pod's app containers in one PID namespace, so nothing else would end its orphans.
        // `--all` signals this container's processes only. A root container's exit is its sandbox's end.
        if isSubcontainer { try? await runsc.kill(id: id.rawValue, signal: SIGKILL, options: KillOptions(all: true)) }
        await io.drained()
        process.exited(status: status, at: .now())
        let waiters = exitWaiters
        exitWaiters = []
        for waiter in waiters { waiter.resume() }
        var event = Containerd_Events_TaskExit()
        event.containerID = id.rawValue
        event.id = id.rawValue
        event.pid = process.pid
        event.exitStatus = process.exitStatus
        event.exitedAt = process.exitedAt ?? .now()
        return event
    }

    /// Publishes TaskOOM if the sandbox's cgroup counted an OOM kill nobody reported yet.
    func reportOOM(publisher: EventPublisher) async {
        guard let oomWatcher, oomWatcher.claim(id.rawValue) else { return }
        log.info("OOM kill in the sandbox's memory cgroup", [("id", id.rawValue)])
        await publisher.publish(Containerd_Events_TaskOOM.with { $0.containerID = id.rawValue })
    }

    /// Suspends until the init process has exited.
    func waitForExit() async -> ProcessState {
        if process.status != .stopped {
            await withCheckedContinuation { exitWaiters.append($0) }
        }
        return process
    }

    /// Signals the init process. Returns the TaskExit to publish when the kill ended a container that was
    /// created but never started.
    func kill(signal: UInt32, all: Bool, publisher: EventPublisher) async throws -> Containerd_Events_TaskExit? {
        try Self.checkSignal(signal)
        // Like runc-v2 (checkKillError of pkg/process): any signal to a finished process is NotFound, which
        // callers (CRI's StopContainer, the client's WithProcessKill) take as "already gone".
        if process.status == .stopped { throw TTRPCError.notFound("process already finished") }
        if process.status == .created, signal == SIGKILL || signal == SIGTERM {
            return await killUnstarted(signal: Int32(signal), publisher: publisher)
        }
        do {
            try await runsc.kill(id: id.rawValue, signal: Int32(signal), options: KillOptions(all: all))
        } catch let error as RunscError where process.status == .stopped || error.isNotFound {
            if process.status != .stopped { throw TTRPCError.notFound("process already finished: \(error)") }
        } catch {
            throw Container.rpcError(error)
        }
        return nil
    }

    /// A created container has no exit watch yet, and runsc refuses to signal it ("in state created"); CRI
    /// cleans up a pod whose start failed with Kill, Wait, Delete, and must not get stuck at the first step.
    /// The sandbox process of a root container is killed directly (runsc delete removes the rest); a
    /// subcontainer's processes do not exist yet, and its sandbox belongs to the pod.
    private func killUnstarted(signal: Int32, publisher: EventPublisher) async -> Containerd_Events_TaskExit? {
        if !isSubcontainer, process.pid > 0 { Glibc.kill(pid_t(bitPattern: process.pid), SIGKILL) }
        io.closeChildEnds()
        log.info("killed before start", [("id", id.rawValue), ("signal", "\(signal)")])
        return await exited(status: 128 + signal, publisher: publisher)
    }

    func pause() async throws {
        guard process.status == .running else {
            throw TTRPCError.failedPrecondition("cannot pause a \(process.status) container")
        }
        do { try await runsc.pause(id: id.rawValue) } catch { throw Container.rpcError(error) }
        try? process.paused()
    }

    func resume() async throws {
        guard process.status == .paused else {
            throw TTRPCError.failedPrecondition("cannot resume a \(process.status) container")
        }
        do { try await runsc.resume(id: id.rawValue) } catch { throw Container.rpcError(error) }
        try? process.resumed()
    }

    func pids() async throws -> [UInt32] {
        do {
            return try await runsc.ps(id: id.rawValue).map { UInt32(bitPattern: $0) }
        } catch {
            throw Container.rpcError(error)
        }
    }

    static func checkSignal(_ signal: UInt32) throws {
        guard signal > 0, signal < 65 else {
            throw TTRPCError.invalidArgument("invalid signal \(signal): expected a signal number from 1 to 64")
        }
    }

    /// A console socket for a terminal process, as an RPC error when it cannot be made.
    nonisolated func consoleSocket() throws -> ConsoleSocket {
        do { return try ConsoleSocket() } catch { throw TTRPCError.internal("console socket for \(id): \(error)") }
    }

    /// Removes the container from runsc and the host. Running containers must be killed first.
    func delete() async throws -> ProcessState {
        switch process.status {
        case .running, .paused:
            throw TTRPCError.failedPrecondition("cannot delete a running container \(id)")
        case .created:
            process.exited(status: 137, at: .now())
        case .stopped:
            break
        }
        do {
            try await runsc.delete(id: id.rawValue, options: DeleteOptions(force: true))
        } catch let error as RunscError where error.isNotFound {
            // Already gone from runsc: nothing to undo.
        } catch {
            log.warning("runsc delete failed", [("id", id.rawValue), ("error", "\(error)")])
        }
        io.releaseAll()
        for exec in execs.values { exec.io.releaseAll() }
        execs.removeAll()
        pendingConsole?.close()
        pendingConsole = nil
        releaseHostResources()
        return process
    }

    /// Unmounts the rootfs; used by delete and when Create fails half-way.
    nonisolated func releaseHostResources() {
        if rootfsMounted {
            do { try Mount.unmountAll("\(bundle)/rootfs") } catch {
                log.warning("unmounting rootfs failed", [("id", id.rawValue), ("error", "\(error)")])
            }
        }
    }

    /// runsc's own message as an RPC error (Unknown, as gVisor's shim reports runsc failures).
    static func rpcError(_ error: any Error) -> TTRPCError {
        if let error = error as? TTRPCError { return error }
        return TTRPCError.unknown("\(error)")
    }
}

extension Google_Protobuf_Timestamp {
    static func now() -> Google_Protobuf_Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Google_Protobuf_Timestamp(seconds: Int64(spec.tv_sec), nanos: Int32(spec.tv_nsec))
    }
}
