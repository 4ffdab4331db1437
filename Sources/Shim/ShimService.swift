import FoundationEssentials
import GVisorConfig
import Glibc
import NIOCore
import Runsc
import ShimAPI
import SwiftProtobuf
import TTRPC

/// containerd's Task API for the containers of one pod, on top of runsc.
///
/// RPC handlers look a container up and hand the work to its actor, so a slow runsc call for one
/// container never holds up another; events are queued on the publisher and never awaited.
public final class ShimService: TaskService {
    public struct Settings: Sendable {
        /// containerd's namespace (`-namespace`), authoritative over request metadata.
        public var namespace: String
        /// runsc.toml used when the runtime options name none (the runc option types): the daemon sets the one
        /// containerd named at `start`, so every container of a pod uses its sandbox's.
        public var defaultConfigPath = "/etc/containerd/runsc.toml"
        /// Replaces the `/var/log/runsc` prefix of debug-log paths (tests point it elsewhere).
        public var logRoot: String?
        /// The kubelet's pod volume directory that mount hints are resolved in (tests point it elsewhere).
        public var kubeletPodsDirectory = PodSpecRewrite.defaultKubeletPodsDirectory

        public init(namespace: String) { self.namespace = namespace }
    }

    let settings: Settings
    let eventLoop: EventLoop
    let services: ShimServices
    let table: ContainerTable
    let oomWatcher: OOMWatcher
    /// runsc.toml parsed once per content: TOMLKit leaks every document it parses.
    let configCache = RunscShimConfigCache()
    private let onIdleShutdown: @Sendable () -> Void

    var reaper: Reaper { services.reaper }
    var publisher: EventPublisher { services.publisher }
    var log: ShimLog { services.log }

    public init(
        settings: Settings, eventLoop: EventLoop, reaper: Reaper, publisher: EventPublisher, log: ShimLog,
        onIdleShutdown: @escaping @Sendable () -> Void
    ) {
        self.settings = settings
        self.eventLoop = eventLoop
        self.services = ShimServices(reaper: reaper, publisher: publisher, log: log)
        self.onIdleShutdown = onIdleShutdown
        let table = ContainerTable()
        self.table = table
        self.oomWatcher = OOMWatcher(eventLoop: eventLoop) { id in
            Task { await table.find(id)?.reportOOM() }
        }
    }

    // MARK: Lifecycle: one path for the init ("" exec id) and execs (Container+Lifecycle.swift)

    /// The container publishes TaskStart or TaskExecStarted, and later TaskExit, itself: it owns the exit watching.
    public func start(_ request: Containerd_Task_V2_StartRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_StartResponse
    {
        let pid = try await table.get(request.id).start(request.execID)
        return .with { $0.pid = pid }
    }

    public func exec(_ request: Containerd_Task_V2_ExecProcessRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    {
        let container = try await table.get(request.id)
        try await container.addExec(
            id: request.execID, spec: request.spec,
            paths: .init(
                stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, terminal: request.terminal),
            eventLoop: eventLoop)
        await publisher.publish(
            Containerd_Events_TaskExecAdded.with {
                $0.containerID = request.id
                $0.execID = request.execID
            })
        return Google_Protobuf_Empty()
    }

    public func state(_ request: Containerd_Task_V2_StateRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_StateResponse
    {
        let container = try await table.get(request.id)
        let process = try await container.process(request.execID)
        let (state, paths) = (process.state, process.io.paths)
        return .with {
            $0.id = request.execID.isEmpty ? request.id : request.execID
            $0.execID = request.execID
            $0.bundle = container.bundle
            $0.pid = state.pid
            $0.status = state.status.proto
            $0.stdin = paths.stdin
            $0.stdout = paths.stdout
            $0.stderr = paths.stderr
            $0.terminal = paths.terminal
            $0.exitStatus = state.exitStatus
            if let exitedAt = state.exitedAt { $0.exitedAt = exitedAt }
        }
    }

    public func wait(_ request: Containerd_Task_V2_WaitRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_WaitResponse
    {
        let state = try await table.get(request.id).wait(request.execID)
        return .with {
            $0.exitStatus = state.exitStatus
            if let exitedAt = state.exitedAt { $0.exitedAt = exitedAt }
        }
    }

    public func kill(_ request: Containerd_Task_V2_KillRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    {
        try await table.get(request.id).kill(request.execID, signal: request.signal, all: request.all)
        return Google_Protobuf_Empty()
    }

    /// Like runc's shim: an exec's delete only frees it; the init's removes the container and publishes TaskDelete.
    public func delete(_ request: Containerd_Task_V2_DeleteRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_DeleteResponse
    {
        let state = try await table.get(request.id).delete(request.execID)
        let exitedAt = state.exitedAt ?? .now()
        if request.execID.isEmpty {
            await table.remove(request.id)
            oomWatcher.forget(request.id)
            await publisher.publish(
                Containerd_Events_TaskDelete.with {
                    $0.containerID = request.id
                    $0.id = request.id
                    $0.pid = state.pid
                    $0.exitStatus = state.exitStatus
                    $0.exitedAt = exitedAt
                })
        }
        return .with {
            $0.pid = state.pid
            $0.exitStatus = state.exitStatus
            $0.exitedAt = exitedAt
        }
    }

    public func pids(_ request: Containerd_Task_V2_PidsRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_PidsResponse
    {
        let processes = try await table.get(request.id).processInfos()
        return .with { $0.processes = processes }
    }

    public func pause(_ request: Containerd_Task_V2_PauseRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    {
        try await table.get(request.id).pause()
        await publisher.publish(Containerd_Events_TaskPaused.with { $0.containerID = request.id })
        return Google_Protobuf_Empty()
    }

    public func resume(_ request: Containerd_Task_V2_ResumeRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    {
        try await table.get(request.id).resume()
        await publisher.publish(Containerd_Events_TaskResumed.with { $0.containerID = request.id })
        return Google_Protobuf_Empty()
    }

    public func closeIO(_ request: Containerd_Task_V2_CloseIORequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    {
        let container = try await table.get(request.id)
        log.debug("CloseIO", [("id", request.id), ("exec", request.execID), ("stdin", "\(request.stdin)")])
        guard request.stdin else { return Google_Protobuf_Empty() }
        try await container.process(request.execID).io.endStdin()
        return Google_Protobuf_Empty()
    }

    public func resizePty(_ request: Containerd_Task_V2_ResizePtyRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    {
        guard let container = await table.find(request.id) else {
            throw ShimError.failedPrecondition("container \(request.id) not created")
        }
        let io = try await container.process(request.execID).io
        try ShimError.wrapping(.internalError, "resizing the terminal of \(request.id)") {
            try io.resize(width: request.width, height: request.height)
        }
        return Google_Protobuf_Empty()
    }

    public func connect(_ request: Containerd_Task_V2_ConnectRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_ConnectResponse
    {
        let taskPID = await table.find(request.id)?.initState.pid ?? 0
        return .with {
            $0.shimPid = UInt32(getpid())
            $0.taskPid = taskPID
            $0.version = ShimVersion.version
        }
    }

    /// Replies first and exits afterwards, and only when no container is left: containers of the
    /// same pod may still be served by this process.
    public func shutdown(_ request: Containerd_Task_V2_ShutdownRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    {
        if await table.isEmpty {
            log.info("shutdown requested with no containers left")
            onIdleShutdown()
        }
        return Google_Protobuf_Empty()
    }

}

/// The containers of this shim, by id. Reservation makes concurrent Creates of one id safe.
actor ContainerTable {
    private var containers: [String: Container] = [:]
    private var reserved: Set<String> = []

    var isEmpty: Bool { containers.isEmpty && reserved.isEmpty }

    func reserve(_ id: ContainerID) throws {
        guard containers[id.rawValue] == nil, !reserved.contains(id.rawValue) else {
            throw ShimError.alreadyExists("container \(id) already exists")
        }
        reserved.insert(id.rawValue)
    }

    func insert(_ container: Container) {
        reserved.remove(container.id.rawValue)
        containers[container.id.rawValue] = container
    }

    func release(_ id: ContainerID) { reserved.remove(id.rawValue) }

    func get(_ id: String) throws -> Container {
        guard let container = containers[id] else { throw ShimError.notFound("container \(id) not created") }
        return container
    }

    func find(_ id: String) -> Container? { containers[id] }

    func remove(_ id: String) { containers.removeValue(forKey: id) }
}
