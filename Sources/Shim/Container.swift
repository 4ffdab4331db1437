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
    let io: ContainerIO
    let rootfsMounted: Bool
    private(set) var process: InitProcess
    private var exitWaiters: [CheckedContinuation<Void, Never>] = []
    private let log: ShimLog

    init(
        id: ContainerID, bundle: String, runsc: RunscClient, isSubcontainer: Bool, io: ContainerIO,
        rootfsMounted: Bool, pid: UInt32, log: ShimLog
    ) {
        self.id = id
        self.bundle = bundle
        self.runsc = runsc
        self.isSubcontainer = isSubcontainer
        self.io = io
        self.rootfsMounted = rootfsMounted
        self.process = InitProcess(pid: pid)
        self.log = log
    }

    var status: InitProcess.Status { process.status }

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
    func exited(status: Int32) async -> Containerd_Events_TaskExit? {
        guard process.status != .stopped else { return nil }
        // Whatever is left in the container dies with its init, as in runc and gVisor's shim.
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

    /// Suspends until the init process has exited.
    func waitForExit() async -> InitProcess {
        if process.status != .stopped {
            await withCheckedContinuation { exitWaiters.append($0) }
        }
        return process
    }

    func kill(signal: UInt32, all: Bool) async throws {
        if process.status == .stopped {
            // Like runc's shim: killing a finished process with TERM or KILL is not an error.
            if signal == SIGKILL || signal == SIGTERM { return }
            throw TTRPCError.notFound("process already finished")
        }
        guard signal > 0, signal < 65 else {
            throw TTRPCError.invalidArgument("invalid signal \(signal): expected a signal number from 1 to 64")
        }
        do {
            try await runsc.kill(id: id.rawValue, signal: Int32(signal), options: KillOptions(all: all))
        } catch let error as RunscError where process.status == .stopped || error.isNotFound {
            if process.status != .stopped { throw TTRPCError.notFound("process already finished: \(error)") }
        } catch {
            throw Container.rpcError(error)
        }
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

    /// Removes the container from runsc and the host. Running containers must be killed first.
    func delete() async throws -> InitProcess {
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
