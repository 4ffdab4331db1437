import GVisorConfig
import Glibc
import Runsc
import ShimAPI
import SwiftProtobuf

/// What every container of this shim shares: the daemon's reaper (exits of the shim's children), its event queue
/// to containerd and its log.
struct ShimServices: Sendable {
    let reaper: Reaper
    let publisher: EventPublisher
    let log: ShimLog
}

/// One container served by this shim: its processes (the init and its execs), their stdio and how to drive runsc
/// for it. An actor, so RPCs for one container are ordered while other containers proceed independently. The
/// container owns its processes' exit watching (ContainerProcess.exitWatcher) and publishes their TaskStart,
/// TaskExecStarted, TaskOOM and TaskExit events itself.
actor Container {
    /// The facts `Create` established, in one value (ShimService+Create.swift builds it step by step).
    struct Setup: Sendable {
        var id: ContainerID
        var bundle: String
        var runsc: RunscClient
        /// A CRI app container joins the pod's sandbox; its stdio goes to `runsc start`, and its exit is learned
        /// from `runsc wait`. Everything else is a sandbox root whose exit is the sandbox process's own.
        var isSubcontainer: Bool
        var io: ContainerIO
        /// Owner of the stdio pipes of the init and of every exec (IoUid/IoGid, runsc.toml's io_uid/io_gid).
        var ioOwner: ContainerIO.Owner?
        var rootfsMounted: Bool
        var pid: UInt32
        /// Where a subcontainer's pty master arrives at `runsc start`; the init's terminal of a pod sandbox
        /// arrives at `runsc create` instead and never needs this.
        var pendingConsole: ConsoleSocket?
        /// Set when the sandbox's memory cgroup is watched for OOM kills. Every container of a pod is: the host
        /// kills the sandbox as a whole, and CRI routes TaskOOM by container id.
        var oomWatcher: OOMWatcher?
        /// The pod's sandbox container served by this shim, for an app container (its fate when the sandbox
        /// dies); held so its exit status stays readable after CRI deleted the sandbox's task.
        var sandbox: Container?
    }

    let setup: Setup
    let services: ShimServices
    let statsCache = StatsCache()
    /// The init process; exec id "".
    private(set) var initProcess: ContainerProcess
    /// Exec processes by exec id (Container+Exec.swift).
    private(set) var execs: [String: ContainerProcess] = [:]
    var pendingConsole: ConsoleSocket?
    private var nextWaiterToken: UInt64 = 0

    init(_ setup: Setup, services: ShimServices) {
        self.setup = setup
        self.services = services
        self.pendingConsole = setup.pendingConsole
        self.initProcess = ContainerProcess(
            execID: "", role: .initProcess, io: setup.io,
            state: ProcessState(name: "container \(setup.id)", pid: setup.pid))
    }

    nonisolated var id: ContainerID { setup.id }
    nonisolated var bundle: String { setup.bundle }
    nonisolated var runsc: RunscClient { setup.runsc }
    nonisolated var isSubcontainer: Bool { setup.isSubcontainer }
    nonisolated var sandbox: Container? { setup.sandbox }
    /// The init's stdio.
    nonisolated var io: ContainerIO { setup.io }
    var log: ShimLog { services.log }
    var publisher: EventPublisher { services.publisher }

    /// The init's lifecycle state.
    var initState: ProcessState { initProcess.state }

    // MARK: Processes by exec id

    /// The process `execID` names: "" is the init (containerd's convention), anything else an exec.
    func process(_ execID: String) throws(ShimError) -> ContainerProcess {
        if execID.isEmpty { return initProcess }
        guard let exec = execs[execID] else { throw .notFound("process \(execID) does not exist") }
        return exec
    }

    /// Changes the process in place: the actor may have been re-entered while runsc ran, so a record is never
    /// written back from a copy.
    func mutate<T>(_ execID: String, _ body: (inout ContainerProcess) throws -> T) throws -> T {
        if execID.isEmpty { return try body(&initProcess) }
        guard execs[execID] != nil else { throw ShimError.notFound("process \(execID) does not exist") }
        return try body(&execs[execID]!)
    }

    func addExec(_ process: ContainerProcess) { execs[process.execID] = process }

    func removeExec(_ execID: String) { execs.removeValue(forKey: execID) }

    // MARK: Exits

    /// Records the exit once and wakes the process's waiters; false when it was recorded before.
    @discardableResult
    func recordExit(_ execID: String, status: Int32) -> Bool {
        let waiters: [CheckedContinuation<Void, Never>]? = try? mutate(execID) { process in
            guard process.state.exited(status: status, at: .now()) else { return nil }
            defer { process.exitWaiters = [:] }
            return Array(process.exitWaiters.values)
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume() }
        return true
    }

    /// Wait: suspends until the process has exited.
    func wait(_ execID: String) async throws -> ProcessState {
        if try process(execID).state.status != .stopped { await suspendUntilExit(execID) }
        return try process(execID).state
    }

    /// The init's state once it has exited, waiting at most `limit` for that; nil if it is still running then.
    func initExit(within limit: Duration) async -> ProcessState? {
        if initProcess.state.status != .stopped { await suspendUntilExit("", timeout: limit) }
        return initProcess.state.status == .stopped ? initProcess.state : nil
    }

    /// Suspends until the exit is recorded, or `timeout` (a one-off timer, not a poll) has passed.
    private func suspendUntilExit(_ execID: String, timeout: Duration? = nil) async {
        nextWaiterToken &+= 1
        let token = nextWaiterToken
        await withCheckedContinuation { continuation in
            let stored: Void? = try? mutate(execID) { $0.exitWaiters[token] = continuation }
            guard stored != nil else { return continuation.resume() }
            guard let timeout else { return }
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.resumeWaiter(execID, token: token)
            }
        }
    }

    private func resumeWaiter(_ execID: String, token: UInt64) {
        let waiter = try? mutate(execID) { $0.exitWaiters.removeValue(forKey: token) }
        waiter?.resume()
    }

    /// Publishes TaskOOM if the sandbox's cgroup counted an OOM kill nobody reported yet.
    func reportOOM() async {
        guard let oomWatcher = setup.oomWatcher, oomWatcher.claim(id.rawValue) else { return }
        log.info("OOM kill in the sandbox's memory cgroup", [("id", id.rawValue)])
        await publisher.publish(Containerd_Events_TaskOOM.with { $0.containerID = id.rawValue })
    }

    // MARK: Delete

    /// Delete: an exec's only frees it (like runc's shim; TaskDelete is the init's event); the init's removes the
    /// container from runsc and the host. Running processes must be killed first.
    func delete(_ execID: String) async throws -> ProcessState {
        let process = try process(execID)
        try process.state.check(.delete)
        if process.state.status == .created { recordExit(execID, status: process.isInit ? 137 : 0) }
        let state = try self.process(execID).state
        guard process.isInit else {
            process.io.releaseAll()
            execs.removeValue(forKey: execID)
            return state
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
        return state
    }

    /// Unmounts the rootfs; used by delete and when Create fails half-way.
    nonisolated func releaseHostResources() {
        if setup.rootfsMounted {
            do { try Mount.unmountAll("\(bundle)/rootfs") } catch {
                services.log.warning("unmounting rootfs failed", [("id", id.rawValue), ("error", "\(error)")])
            }
        }
    }
}

extension Google_Protobuf_Timestamp {
    static func now() -> Google_Protobuf_Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Google_Protobuf_Timestamp(seconds: Int64(spec.tv_sec), nanos: Int32(spec.tv_nsec))
    }
}
