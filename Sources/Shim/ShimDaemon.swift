import GVisorConfig
import Glibc
import NIOCore
import NIOPosix
import ShimAPI
import TTRPC

/// The long-running shim process: serves the Task API on the socket `start` bound (fd 3), reaps
/// every child as subreaper, forwards events to containerd, and exits when containerd shuts it
/// down with no containers left (or on SIGTERM).
public struct ShimDaemon {
    public var flags: ShimFlags
    public var environment: [String: String]

    public init(flags: ShimFlags, environment: [String: String]) {
        self.flags = flags
        self.environment = environment
    }

    /// The descriptor `start` passes the listening socket on.
    static let listenerFD: CInt = 3

    /// Serves until shutdown on `eventLoop`, the process's one thread (ShimRunLoop.swift).
    public func run(on eventLoop: any EventLoop) async throws {
        guard !flags.namespace.isEmpty else { throw ShimStart.Failure(description: "shim namespace cannot be empty") }
        let log = makeLog()
        ShimHardening.confineDaemon(environment: environment, log: log)  // Hardening: ShimHardening.swift
        try Reaper.becomeSubreaper()
        // The one event loop serves ttrpc and carries every other event: SIGCHLD and the shutdown signals
        // (a signal handler waking the loop through an eventfd), runsc's output pipes and the OOM descriptors.
        let publisher = makePublisher(group: eventLoop, log: log)

        let (shutdownRequests, shutdown) = AsyncStream.makeStream(of: String.self)
        let reaper = Reaper.shared
        reaper.onSignal(SIGTERM) { shutdown.yield("SIGTERM") }
        reaper.onSignal(SIGINT) { shutdown.yield("SIGINT") }
        try await reaper.start(on: eventLoop)

        let service = ShimService(
            settings: serviceSettings(), eventLoop: eventLoop, reaper: reaper, publisher: publisher, log: log,
            onIdleShutdown: { shutdown.yield("shutdown with no containers left") })
        var registry = TTRPCServiceRegistry()
        registry.register(taskService: service)
        let server = try await serve(registry, group: eventLoop, log: log)
        // Known now, while the bundle exists: containerd removes the bundle right after Shutdown.
        let socketPath = await server.localAddress?.pathname
        log.info("serving", [("pid", "\(getpid())"), ("socket", socketPath ?? "?")])

        var reason = "unknown"
        for await request in shutdownRequests {
            reason = request
            break
        }
        log.info("shutting down", [("reason", reason)])
        // Let the Shutdown reply leave before the socket closes, then deliver pending events.
        try? await Task.sleep(for: .milliseconds(10))
        await publisher.flush()
        await server.close(gracePeriod: .seconds(1))
        if let socketPath { unlink(socketPath) }
        await reaper.stop()
    }

    /// The daemon's log: containerd's `-debug`, else runsc.toml's `log_level` as gVisor's Go shim applies it.
    private func makeLog() -> ShimLog {
        var log = ShimLog(
            minimumLevel: flags.debug ? .debug : .info,
            fields: [("runtime", ShimVersion.runtime), ("namespace", flags.namespace)], files: ShimLogFiles())
        if !flags.debug, let level = Self.startConfig(environment)?.logLevel {
            if let parsed = ShimLog.Level(logrusName: level) {
                log.minimumLevel = parsed
            } else {
                log.warning(
                    "runsc.toml: log_level: unknown level; expected trace, debug, info, warn, warning, error, fatal or panic",
                    [("log_level", level)])
            }
        }
        return log
    }

    /// The Task service's settings from the daemon's environment.
    private func serviceSettings() -> ShimService.Settings {
        var settings = ShimService.Settings(namespace: flags.namespace)
        settings.logRoot = environment["GVISOR_SHIM_LOG_ROOT"]
        // Creates whose options name no runsc.toml (the runc option types) use the runtime's, from `start`.
        if let started = environment[ShimHardening.configPathVariable], !started.isEmpty {
            settings.defaultConfigPath = started
        }
        if let pods = environment["GVISOR_SHIM_KUBELET_PODS_DIR"], !pods.isEmpty {
            settings.kubeletPodsDirectory = pods
        }
        return settings
    }

    /// The ttrpc server on the socket `start` bound (fd 3), or on `-socket` when the daemon is run by hand.
    private func serve(_ registry: TTRPCServiceRegistry, group: any EventLoopGroup, log: ShimLog) async throws
        -> TTRPCServer
    {
        var configuration = TTRPCServer.Configuration()
        configuration.callObserver = HeapTrimmer(eventLoop: group.next()).observer(
            chainedTo: configuration.callObserver)
        // A crossed bound means a peer misbehaves on purpose or by bug; malformed input is already answered.
        configuration.connectionErrorHandler = { error in
            if error is TTRPCLimitError {
                log.warning("connection closed: over a ttrpc limit", [("error", "\(error)")])
            } else {
                log.debug("connection closed", [("error", "\(error)")])
            }
        }
        if flags.socket.isEmpty {
            return try await TTRPCServer.adopt(
                listeningSocket: ShimDaemon.listenerFD, registry: registry, group: group, configuration: configuration)
        }
        configuration.removeExistingSocketFile = true
        return try await TTRPCServer.bind(
            unixDomainSocketPath: SocketAddress(parsing: flags.socket).path, registry: registry, group: group,
            configuration: configuration)
    }

    /// runsc.toml as the daemon can know it at start: the file `start` found in the runtime options, or the default
    /// one; nil when neither exists or it does not parse (Create reports that with the file's name).
    static func startConfig(_ environment: [String: String]) -> RunscShimConfig? {
        let path =
            environment[ShimHardening.configPathVariable] ?? ShimService.Settings(namespace: "").defaultConfigPath
        guard access(path, F_OK) == 0 else { return nil }
        return try? RunscShimConfig.load(contentsOfFile: path).config
    }

    /// Events go to containerd's ttrpc socket (`TTRPC_ADDRESS`); without one they are only logged.
    private func makePublisher(group: any EventLoopGroup, log: ShimLog) -> EventPublisher {
        guard let address = environment["TTRPC_ADDRESS"], !address.isEmpty else {
            log.warning("TTRPC_ADDRESS is not set; events are not published")
            return EventPublisher(namespace: flags.namespace, log: log) { envelope in
                log.debug("event not published", [("topic", envelope.topic)])
            }
        }
        let forwarder = EventsForwarder(
            client: TTRPCClient(unixDomainSocketPath: SocketAddress(parsing: address).path, group: group))
        return EventPublisher(namespace: flags.namespace, log: log) { envelope in try await forwarder.forward(envelope)
        }
    }
}
