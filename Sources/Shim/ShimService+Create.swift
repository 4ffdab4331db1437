import GVisorConfig
import Glibc
import Runsc
import ShimAPI
import SwiftProtobuf
import TTRPC

/// Create, as named steps: the runtime configuration, the bundle's spec (read once, edited in memory, written
/// once), the rootfs, the logs, runsc's checks and files, `runsc create` itself, and the container that results.
extension ShimService {
    public func create(_ request: Containerd_Task_V2_CreateTaskRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_CreateTaskResponse
    {
        let id = try ShimError.wrapping(.invalidArgument, "id") { try ContainerID(request.id) }
        guard !request.bundle.isEmpty, request.bundle.hasPrefix("/") else {
            throw ShimError.invalidArgument("bundle: expected an absolute path, got \"\(request.bundle)\"")
        }
        try await table.reserve(id)
        do {
            let container = try await makeContainer(id: id, request: request)
            await table.insert(container)
            let pid = await container.initState.pid
            await publisher.publish(
                Containerd_Events_TaskCreate.with {
                    $0.containerID = id.rawValue
                    $0.bundle = request.bundle
                    $0.rootfs = request.rootfs
                    $0.io = .with {
                        $0.stdin = request.stdin
                        $0.stdout = request.stdout
                        $0.stderr = request.stderr
                        $0.terminal = request.terminal
                    }
                    $0.pid = pid
                })
            return .with { $0.pid = pid }
        } catch {
            await table.release(id)
            throw error
        }
    }

    private func makeContainer(id: ContainerID, request: Containerd_Task_V2_CreateTaskRequest) async throws
        -> Container
    {
        var config = try loadConfig(options: request.hasOptions ? request.options : nil)
        try Self.checkIDPrefixes(id.rawValue, runscRoot: "\(config.root)/\(settings.namespace)")  // +IDPrefix.swift
        let spec = try await prepareSpec(id: id, bundle: request.bundle, config: &config)
        let mounts = try mountRootfs(id: id, request: request, spec: spec)
        do {
            let (runsc, userLog) = try prepareRunsc(config, spec: spec, id: id, request: request)
            let owner = ContainerIO.Owner(uid: config.ioUID, gid: config.ioGID)
            let created = try await runscCreate(
                runsc, id: id, spec: spec, request: request, io: (paths: ioPaths(request), owner: owner),
                userLog: userLog)
            return await container(created, id: id, spec: spec, mounted: !mounts.isEmpty)
        } catch {
            if !mounts.isEmpty { try? Mount.unmountAll("\(request.bundle)/rootfs") }
            throw error
        }
    }

    /// The spec, read once: Hardening (ShimService+Hardening.swift), the CRI pod rewrite (ShimService+Pod.swift)
    /// and nvproxy (ShimService+NVProxy.swift, which may also drop runsc flags from `config`) edit it in memory,
    /// and it is written back once.
    private func prepareSpec(id: ContainerID, bundle: String, config: inout RunscShimConfig) async throws
        -> BundleSpec
    {
        try checkRunscCapabilities(config)
        var spec = try BundleSpec(bundle: bundle)
        try hardenSpec(&spec, id: id, config: config)
        if spec.isCRI { try rewritePodSpec(&spec, id: id, config: config) }
        config = try await prepareNVProxy(config, spec: &spec, id: id)
        try spec.writeIfChanged()
        return spec
    }

    /// `<bundle>/rootfs` with the request's mounts on it; returns them (none: the spec's root is served as it is).
    private func mountRootfs(id: ContainerID, request: Containerd_Task_V2_CreateTaskRequest, spec: BundleSpec)
        throws(ShimError) -> [Mount]
    {
        if request.rootfs.isEmpty { try Self.checkUnmountedRoot(spec) }  // Bad input (issue 11)
        let rootfs = "\(spec.bundle)/rootfs"
        if mkdir(rootfs, 0o711) != 0 && errno != EEXIST {
            throw .internal("create \(rootfs): \(String(cString: strerror(errno)))")
        }
        let mounts = request.rootfs.map { Mount(type: $0.type, source: $0.source, options: $0.options) }
        try ShimError.wrapping(.internalError, "mounting the rootfs of \(id)") {
            try Mount.mountAll(mounts, on: rootfs)
        }
        return mounts
    }

    /// Without rootfs mounts runsc serves the spec's `root.path` as it is, so it must be a directory with content;
    /// otherwise runsc would boot an empty root and fail later, at Start, with a message about the command.
    static func checkUnmountedRoot(_ spec: BundleSpec) throws(ShimError) {
        let resolved = spec.rootPath
        let problem: String?
        if let entries = directoryEntries(resolved) {
            problem = entries.isEmpty ? "is an empty directory" : nil
        } else {
            problem = "cannot be opened: \(String(cString: strerror(errno)))"
        }
        if let problem {
            throw .invalidArgument(
                "rootfs: no rootfs mounts were given and \(resolved) (root.path in \(spec.path)) \(problem); "
                    + "expected a directory holding the container's root filesystem")
        }
    }

    /// Log directories, runsc's client, runc's executable check and the bundle's `shim-state.json`; returns the client and
    /// the sandbox's `--user-log`.
    private func prepareRunsc(
        _ config: RunscShimConfig, spec: BundleSpec, id: ContainerID, request: Containerd_Task_V2_CreateTaskRequest
    ) throws -> (RunscClient, userLog: String?) {
        // Debug logs go to per-container directories that must exist and take files before runsc
        // starts; one that cannot is logged and its flags dropped, never fatal (a full disk must not stop
        // containers). ShimService+LogDirectories.swift
        var config = usableLogPaths(config, id: id)
        let userLog: String?
        (config, userLog) = podSandboxLogs(config, spec: spec, id: id)
        openShimLogFile(config, id: id, bundle: spec.bundle, request: request)
        let flags = config.runscFlags(substitutingID: id)
        log.debug(
            "runsc flags",
            [("id", id.rawValue), ("binary", config.binaryName), ("flags", flags.joined(separator: " "))])
        let runsc = Runsc(
            binary: config.binaryName, root: "\(config.root)/\(settings.namespace)", log: "\(spec.bundle)/log.json",
            logFormat: .json, extraFlags: flags)
        // runc's answer for a missing executable, at Create rather than at Start (ExecutableCheck.swift).
        try ShimError.wrapping(.failedPrecondition, "create \(id)") { try spec.executableCheck.check() }
        try ShimState(
            runscBinary: runsc.binary, runscRoot: runsc.root ?? "", runscFlags: runsc.extraFlags,
            rootfs: "\(spec.bundle)/rootfs"
        ).write(to: spec.bundle)
        let client = RunscClient(runsc: runsc, executor: ProcessExecutor(waiter: ReaperWaiter(reaper: reaper)))
        return (client, userLog)
    }

    /// What `runsc create` left: the stdio, the init's pid, and a subcontainer's console socket still to be used.
    private struct Created {
        var runsc: RunscClient
        var io: ContainerIO
        var ioOwner: ContainerIO.Owner?
        var pid: Int32
        var pendingConsole: ConsoleSocket?
    }

    /// `runsc create` with the init's stdio (a sandbox's; an app container's goes to `runsc start`) and, for a
    /// terminal, a console socket; then the pid file and a sandbox's pty master.
    private func runscCreate(
        _ runsc: RunscClient, id: ContainerID, spec: BundleSpec, request: Containerd_Task_V2_CreateTaskRequest,
        io stdio: (paths: ContainerIO.Paths, owner: ContainerIO.Owner?), userLog: String?
    ) async throws -> Created {
        let io = try ShimError.wrapping(.internalError, "stdio of \(id)") {
            try ContainerIO(paths: stdio.paths, eventLoop: eventLoop, owner: stdio.owner)
        }
        var console: ConsoleSocket?
        do {
            if request.terminal {
                console = try ShimError.wrapping(.internalError, "console socket for \(id)") { try ConsoleSocket() }
            }
            let pidFile = "\(spec.bundle)/init.pid"
            try await runsc.create(
                id: id.rawValue,
                options: CreateOptions(
                    bundle: spec.bundle, pidFile: pidFile, consoleSocket: console?.path, userLog: userLog),
                stdio: spec.isSubcontainer ? .null : io.runscStdio)
            if !spec.isSubcontainer { io.closeChildEnds() }
            let pid = try await readCreated(runsc, id: id, pidFile: pidFile, io: io, console: &console, spec: spec)
            return Created(runsc: runsc, io: io, ioOwner: stdio.owner, pid: pid, pendingConsole: console)
        } catch {
            console?.close()
            io.releaseAll()
            throw error
        }
    }

    private func ioPaths(_ request: Containerd_Task_V2_CreateTaskRequest) -> ContainerIO.Paths {
        ContainerIO.Paths(
            stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, terminal: request.terminal)
    }

    /// The init's pid from runsc's pid file and, for a pod sandbox, its terminal (a subcontainer's arrives at
    /// `runsc start`); runsc's container is deleted again when either is unusable.
    private func readCreated(
        _ runsc: RunscClient, id: ContainerID, pidFile: String, io: ContainerIO, console: inout ConsoleSocket?,
        spec: BundleSpec
    ) async throws -> Int32 {
        do {
            let pid = try RunscClient.readPidFile(pidFile)
            if let sandboxConsole = console, !spec.isSubcontainer {
                console = nil
                defer { sandboxConsole.close() }
                io.attachConsole(try sandboxConsole.receiveMaster())
            }
            return pid
        } catch {
            try? await runsc.delete(id: id.rawValue, options: DeleteOptions(force: true))
            throw ShimError.internal("runsc create of \(id) left no usable pid file or terminal: \(error)")
        }
    }

    /// The container for what `runsc create` left, its sandbox's memory cgroup watched for OOM kills.
    private func container(
        _ created: Created, id: ContainerID, spec: BundleSpec, mounted: Bool
    ) async -> Container {
        // A subcontainer's pid is its sandbox's: every container of a pod watches the sandbox's cgroup.
        let watchedForOOM = oomWatcher.register(id: id.rawValue, pid: created.pid) != nil
        if !watchedForOOM { log.warning("no memory cgroup to watch for OOM kills", [("id", id.rawValue)]) }
        log.info(
            "created", [("id", id.rawValue), ("pid", "\(created.pid)"), ("subcontainer", "\(spec.isSubcontainer)")])
        // Held from now on: CRI may delete the sandbox's task (and its table entry) before this container ends.
        let sandbox: Container? =
            if spec.isSubcontainer, let sandboxID = spec.sandboxID { await table.find(sandboxID) } else { nil }
        return Container(
            Container.Setup(
                id: id, bundle: spec.bundle, runsc: created.runsc, isSubcontainer: spec.isSubcontainer, io: created.io,
                ioOwner: created.ioOwner, rootfsMounted: mounted, pid: UInt32(bitPattern: created.pid),
                pendingConsole: created.pendingConsole, oomWatcher: watchedForOOM ? oomWatcher : nil,
                sandbox: sandbox),
            services: services)
    }

    /// runsc.toml from the runtime options (`runtimeoptions.v1.Options.config_path`), or the default, with the
    /// runc option types' fields that mean something to runsc applied (RuntimeOptions.swift).
    func loadConfig(options: Google_Protobuf_Any?) throws -> RunscShimConfig {
        var runtimeOptions = RuntimeOptions()
        if let options, !options.typeURL.isEmpty { runtimeOptions = try RuntimeOptions(decoding: options) }
        for field in runtimeOptions.ignored {
            log.warning("runtime option ignored: it has no meaning for runsc", [("option", field)])
        }
        let path = runtimeOptions.configPath ?? settings.defaultConfigPath
        guard runtimeOptions.configPath != nil || access(path, F_OK) == 0 else {
            return withLogRoot(runtimeOptions.applied(to: RunscShimConfig()))
        }
        let loaded = try configCache.load(contentsOfFile: path)
        for warning in loaded.warnings { log.warning("runsc.toml", [("file", path), ("warning", "\(warning)")]) }
        return withLogRoot(runtimeOptions.applied(to: loaded.config))
    }

    private func withLogRoot(_ config: RunscShimConfig) -> RunscShimConfig {
        guard let root = settings.logRoot else { return config }
        return config.rewritingPathPrefix("/var/log/runsc", to: root)
    }
}
