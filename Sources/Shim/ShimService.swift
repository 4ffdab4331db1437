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
    let reaper: Reaper
    let publisher: EventPublisher
    let log: ShimLog
    let table: ContainerTable
    let oomWatcher: OOMWatcher
    /// runsc.toml parsed once per content: TOMLKit leaks every document it parses.
    let configCache = RunscShimConfigCache()
    private let onIdleShutdown: @Sendable () -> Void

    public init(
        settings: Settings, eventLoop: EventLoop, reaper: Reaper, publisher: EventPublisher, log: ShimLog,
        onIdleShutdown: @escaping @Sendable () -> Void
    ) {
        self.settings = settings
        self.eventLoop = eventLoop
        self.reaper = reaper
        self.publisher = publisher
        self.log = log
        self.onIdleShutdown = onIdleShutdown
        let table = ContainerTable()
        self.table = table
        self.oomWatcher = OOMWatcher(eventLoop: eventLoop) { id in
            Task { await table.find(id)?.reportOOM(publisher: publisher) }
        }
    }

    // MARK: Create

    public func create(_ request: Containerd_Task_V2_CreateTaskRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_CreateTaskResponse
    {
        let id: ContainerID
        do { id = try ContainerID(request.id) } catch { throw TTRPCError.invalidArgument("id: \(error)") }
        guard !request.bundle.isEmpty, request.bundle.hasPrefix("/") else {
            throw TTRPCError.invalidArgument("bundle: expected an absolute path, got \"\(request.bundle)\"")
        }
        try await table.reserve(id)
        do {
            let container = try await makeContainer(id: id, request: request)
            await table.insert(container)
            var event = Containerd_Events_TaskCreate()
            event.containerID = id.rawValue
            event.bundle = request.bundle
            event.rootfs = request.rootfs
            event.io = Containerd_Events_TaskIO.with {
                $0.stdin = request.stdin
                $0.stdout = request.stdout
                $0.stderr = request.stderr
                $0.terminal = request.terminal
            }
            event.pid = await container.process.pid
            await publisher.publish(event)
            return .with { $0.pid = event.pid }
        } catch {
            await table.release(id)
            throw error
        }
    }

    private func makeContainer(id: ContainerID, request: Containerd_Task_V2_CreateTaskRequest) async throws
        -> Container
    {
        let bundle = request.bundle
        var config = try loadConfig(options: request.hasOptions ? request.options : nil)
        try Self.checkIDPrefixes(id.rawValue, runscRoot: "\(config.root)/\(settings.namespace)")  // +IDPrefix.swift
        try hardenBundle(id: id, bundle: bundle, config: config)  // Hardening: ShimService+Hardening.swift
        let spec: SpecAnnotations
        switch SpecAnnotations.read(bundle: bundle) {
        case .found(let found): spec = found
        case .missing: throw TTRPCError.invalidArgument("\(bundle)/config.json: cannot read the OCI runtime spec")
        case .invalid(let message): throw TTRPCError.invalidArgument(message)
        }
        let isSubcontainer = spec.isSubcontainer
        if spec.isCRI { try preparePodSpec(bundle: bundle, id: id, config: config) }  // CRI pods: ShimService+Pod.swift
        config = try await prepareNVProxy(config, bundle: bundle, id: id)  // nvproxy (issue 9)

        if request.rootfs.isEmpty { try Self.checkUnmountedRoot(spec, bundle: bundle) }  // Bad input (issue 11)
        let rootfs = "\(bundle)/rootfs"
        if mkdir(rootfs, 0o711) != 0 && errno != EEXIST {
            throw TTRPCError.internal("create \(rootfs): \(String(cString: strerror(errno)))")
        }
        let mounts = request.rootfs.map { Mount(type: $0.type, source: $0.source, options: $0.options) }
        do { try Mount.mountAll(mounts, on: rootfs) } catch {
            throw TTRPCError.internal("mounting the rootfs of \(id): \(error)")
        }

        // Debug logs go to per-container directories that must exist and take files before runsc
        // starts; one that cannot is logged and its flags dropped, never fatal (a full disk must not stop
        // containers). ShimService+LogDirectories.swift
        config = usableLogPaths(config, id: id)
        let userLog: String?
        (config, userLog) = podSandboxLogs(config, spec: spec, id: id)
        openShimLogFile(config, id: id, bundle: bundle, request: request)
        log.debug(
            "runsc flags",
            [
                ("id", id.rawValue), ("binary", config.binaryName),
                ("flags", config.runscFlags(substitutingID: id).joined(separator: " ")),
            ])
        var succeeded = false
        let runsc = Runsc(
            binary: config.binaryName, root: "\(config.root)/\(settings.namespace)", log: "\(bundle)/log.json",
            logFormat: .json, extraFlags: config.runscFlags(substitutingID: id))
        let client = RunscClient(runsc: runsc, executor: ProcessExecutor(waiter: ReaperWaiter(reaper: reaper)))
        defer {
            if !succeeded, !mounts.isEmpty { try? Mount.unmountAll(rootfs) }
        }
        // runc's answer for a missing executable, at Create rather than at Start (ExecutableCheck.swift).
        do { try ExecutableCheck(bundle: bundle)?.check() } catch {
            throw TTRPCError.failedPrecondition("create \(id): \(error)")
        }

        try ShimState(
            runscBinary: runsc.binary, runscRoot: runsc.root ?? "", runscFlags: runsc.extraFlags, rootfs: rootfs
        ).write(to: bundle)

        let io: ContainerIO
        let ioOwner = ContainerIO.Owner(uid: config.ioUID, gid: config.ioGID)
        do {
            io = try ContainerIO(
                paths: .init(
                    stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, terminal: request.terminal),
                eventLoop: eventLoop, owner: ioOwner)
        } catch {
            throw TTRPCError.internal("stdio of \(id): \(error)")
        }

        let pidFile = "\(bundle)/init.pid"
        var console: ConsoleSocket?
        if request.terminal {
            do { console = try ConsoleSocket() } catch {
                io.releaseAll()
                throw TTRPCError.internal("console socket for \(id): \(error)")
            }
        }
        do {
            try await client.create(
                id: id.rawValue,
                options: CreateOptions(
                    bundle: bundle, pidFile: pidFile, consoleSocket: console?.path, userLog: userLog),
                stdio: isSubcontainer ? .null : io.runscStdio)
        } catch {
            console?.close()
            io.releaseAll()
            throw Container.rpcError(error)
        }
        if !isSubcontainer { io.closeChildEnds() }
        let pid: Int32
        do {
            pid = try RunscClient.readPidFile(pidFile)
            // A pod sandbox's terminal is set up by `create`; a subcontainer's arrives at `start`.
            if let sandboxConsole = console, !isSubcontainer {
                console = nil
                defer { sandboxConsole.close() }
                io.attachConsole(try sandboxConsole.receiveMaster())
            }
        } catch {
            console?.close()
            try? await client.delete(id: id.rawValue, options: DeleteOptions(force: true))
            io.releaseAll()
            throw TTRPCError.internal("runsc create of \(id) left no usable pid file or terminal: \(error)")
        }
        succeeded = true
        // A subcontainer's pid is its sandbox's: every container of a pod watches the sandbox's cgroup.
        let watchedForOOM = oomWatcher.register(id: id.rawValue, pid: pid) != nil
        if !watchedForOOM { log.warning("no memory cgroup to watch for OOM kills", [("id", id.rawValue)]) }
        log.info("created", [("id", id.rawValue), ("pid", "\(pid)"), ("subcontainer", "\(isSubcontainer)")])
        // Held from now on: CRI may delete the sandbox's task (and its table entry) before this container ends.
        let sandbox: Container? =
            if isSubcontainer, let sandboxID = spec.sandboxID { await table.find(sandboxID) } else { nil }
        return Container(
            id: id, bundle: bundle, runsc: client, isSubcontainer: isSubcontainer, io: io,
            rootfsMounted: !mounts.isEmpty, pid: UInt32(bitPattern: pid), log: log, pendingConsole: console,
            oomWatcher: watchedForOOM ? oomWatcher : nil, sandbox: sandbox, ioOwner: ioOwner)
    }

    /// Without rootfs mounts runsc serves the spec's `root.path` as it is, so it must be a directory with content;
    /// otherwise runsc would boot an empty root and fail later, at Start, with a message about the command.
    static func checkUnmountedRoot(_ spec: SpecAnnotations, bundle: String) throws {
        let path = spec.root?.path.flatMap { $0.isEmpty ? nil : $0 } ?? "rootfs"
        let resolved = path.hasPrefix("/") ? path : "\(bundle)/\(path)"
        let problem: String?
        if let entries = directoryEntries(resolved) {
            problem = entries.isEmpty ? "is an empty directory" : nil
        } else {
            problem = "cannot be opened: \(String(cString: strerror(errno)))"
        }
        if let problem {
            throw TTRPCError.invalidArgument(
                "rootfs: no rootfs mounts were given and \(resolved) (root.path in \(bundle)/config.json) \(problem); "
                    + "expected a directory holding the container's root filesystem")
        }
    }

    /// runsc.toml from the runtime options (`runtimeoptions.v1.Options.config_path`), or the default, with the
    /// runc option types' fields that mean something to runsc applied (RuntimeOptions.swift).
    func loadConfig(options: Google_Protobuf_Any?) throws -> RunscShimConfig {
        var runtimeOptions = RuntimeOptions()
        if let options, !options.typeURL.isEmpty {
            do { runtimeOptions = try RuntimeOptions(decoding: options) } catch {
                throw TTRPCError.invalidArgument("options: \(error)")
            }
        }
        for field in runtimeOptions.ignored {
            log.warning("runtime option ignored: it has no meaning for runsc", [("option", field)])
        }
        let path = runtimeOptions.configPath ?? settings.defaultConfigPath
        guard runtimeOptions.configPath != nil || access(path, F_OK) == 0 else {
            return withLogRoot(runtimeOptions.applied(to: RunscShimConfig()))
        }
        do {
            let loaded = try configCache.load(contentsOfFile: path)
            for warning in loaded.warnings { log.warning("runsc.toml", [("file", path), ("warning", "\(warning)")]) }
            return withLogRoot(runtimeOptions.applied(to: loaded.config))
        } catch {
            throw TTRPCError.invalidArgument("\(error)")
        }
    }

    private func withLogRoot(_ config: RunscShimConfig) -> RunscShimConfig {
        guard let root = settings.logRoot else { return config }
        return config.rewritingPathPrefix("/var/log/runsc", to: root)
    }

    // MARK: Lifecycle

    public func start(_ request: Containerd_Task_V2_StartRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_StartResponse
    {
        let container = try await table.get(request.id)
        if !request.execID.isEmpty { return try await startExec(request, container: container) }
        let watch = try await container.start(reaper: reaper)
        let pid = await container.process.pid
        var event = Containerd_Events_TaskStart()
        event.containerID = request.id
        event.pid = pid
        // Queued before the exit watcher exists, so the exit can never be published first.
        await publisher.publish(event)
        let publisher = self.publisher
        Task {
            var (status, failed) = await watch.status()
            if failed {
                try? await container.runsc.kill(id: request.id, signal: SIGKILL, options: KillOptions(all: true))
                // `runsc wait` fails when the whole sandbox died (killed, OOM): the pod's fate is the container's.
                if let sandboxStatus = await Self.sandboxExitStatus(of: container) {
                    status = sandboxStatus
                }
            }
            if let exit = await container.exited(status: status, publisher: publisher) {
                await publisher.publish(exit)
            }
        }
        return .with { $0.pid = pid }
    }

    /// The exit status of a subcontainer's sandbox when the sandbox process has ended (within 2 s: its exit
    /// is reaped independently of the failed `runsc wait`), or nil.
    static func sandboxExitStatus(of container: Container) async -> Int32? {
        guard let sandbox = container.sandbox else { return nil }
        for _ in 0..<20 {
            let state = await sandbox.process
            if state.status == .stopped { return Int32(bitPattern: state.exitStatus) }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    private func startExec(_ request: Containerd_Task_V2_StartRequest, container: Container) async throws
        -> Containerd_Task_V2_StartResponse
    {
        let pid = try await container.startExec(request.execID)
        await publisher.publish(
            Containerd_Events_TaskExecStarted.with {
                $0.containerID = request.id
                $0.execID = request.execID
                $0.pid = UInt32(bitPattern: pid)
            })
        let (publisher, reaper) = (self.publisher, self.reaper)
        Task {
            let status = Reaper.exitStatus(fromWaitStatus: await reaper.wait(for: pid))
            if let exit = await container.execExited(request.execID, status: status) { await publisher.publish(exit) }
        }
        return .with { $0.pid = UInt32(bitPattern: pid) }
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
        let (process, paths): (ProcessState, ContainerIO.Paths)
        if request.execID.isEmpty {
            (process, paths) = (await container.process, container.io.paths)
        } else {
            let exec = try await container.exec(request.execID)
            (process, paths) = (exec.state, exec.io.paths)
        }
        return .with {
            $0.id = request.execID.isEmpty ? request.id : request.execID
            $0.execID = request.execID
            $0.bundle = container.bundle
            $0.pid = process.pid
            $0.status = process.status.proto
            $0.stdin = paths.stdin
            $0.stdout = paths.stdout
            $0.stderr = paths.stderr
            $0.terminal = paths.terminal
            $0.exitStatus = process.exitStatus
            if let exitedAt = process.exitedAt { $0.exitedAt = exitedAt }
        }
    }

    public func wait(_ request: Containerd_Task_V2_WaitRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_WaitResponse
    {
        let container = try await table.get(request.id)
        let process =
            request.execID.isEmpty
            ? await container.waitForExit() : try await container.waitForExec(request.execID)
        return .with {
            $0.exitStatus = process.exitStatus
            if let exitedAt = process.exitedAt { $0.exitedAt = exitedAt }
        }
    }

    public func kill(_ request: Containerd_Task_V2_KillRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    {
        let container = try await table.get(request.id)
        if request.execID.isEmpty {
            if let exit = try await container.kill(signal: request.signal, all: request.all, publisher: publisher) {
                await publisher.publish(exit)
            }
        } else {
            try await container.killExec(request.execID, signal: request.signal)
        }
        return Google_Protobuf_Empty()
    }

    public func delete(_ request: Containerd_Task_V2_DeleteRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_DeleteResponse
    {
        let container = try await table.get(request.id)
        if !request.execID.isEmpty {
            // Like runc's shim: an exec's delete only frees it; TaskDelete is the init's event.
            let process = try await container.deleteExec(request.execID)
            return .with {
                $0.pid = process.pid
                $0.exitStatus = process.exitStatus
                $0.exitedAt = process.exitedAt ?? .now()
            }
        }
        let process = try await container.delete()
        await table.remove(request.id)
        oomWatcher.forget(request.id)
        var event = Containerd_Events_TaskDelete()
        event.containerID = request.id
        event.id = request.id
        event.pid = process.pid
        event.exitStatus = process.exitStatus
        event.exitedAt = process.exitedAt ?? .now()
        await publisher.publish(event)
        return .with {
            $0.pid = process.pid
            $0.exitStatus = process.exitStatus
            $0.exitedAt = event.exitedAt
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
        if request.execID.isEmpty {
            await container.io.endStdin()
        } else {
            try await container.exec(request.execID).io.endStdin()
        }
        return Google_Protobuf_Empty()
    }

    public func resizePty(_ request: Containerd_Task_V2_ResizePtyRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    {
        guard let container = await table.find(request.id) else {
            throw TTRPCError.failedPrecondition("container \(request.id) not created")
        }
        let io = request.execID.isEmpty ? container.io : try await container.exec(request.execID).io
        do { try io.resize(width: request.width, height: request.height) } catch {
            throw TTRPCError.internal("resizing the terminal of \(request.id): \(error)")
        }
        return Google_Protobuf_Empty()
    }

    public func connect(_ request: Containerd_Task_V2_ConnectRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_ConnectResponse
    {
        let taskPID = await table.find(request.id)?.process.pid ?? 0
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
            throw TTRPCError.alreadyExists("container \(id) already exists")
        }
        reserved.insert(id.rawValue)
    }

    func insert(_ container: Container) {
        reserved.remove(container.id.rawValue)
        containers[container.id.rawValue] = container
    }

    func release(_ id: ContainerID) { reserved.remove(id.rawValue) }

    func get(_ id: String) throws -> Container {
        guard let container = containers[id] else { throw TTRPCError.notFound("container \(id) not created") }
        return container
    }

    func find(_ id: String) -> Container? { containers[id] }

    func remove(_ id: String) { containers.removeValue(forKey: id) }
}
