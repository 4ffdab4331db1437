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

    public func run() async throws {
        guard !flags.namespace.isEmpty else { throw ShimStart.Failure(description: "shim namespace cannot be empty") }
        let startConfig = Self.startConfig(environment)
        var startLog = ShimLog(
            minimumLevel: flags.debug ? .debug : .info,
            fields: [("runtime", ShimVersion.runtime), ("namespace", flags.namespace)], files: ShimLogFiles())
        if !flags.debug, let level = startConfig?.logLevel {
            // runsc.toml's log_level, as gVisor's Go shim applies it; containerd's -debug wins.
            if let parsed = ShimLog.Level(logrusName: level) {
                startLog.minimumLevel = parsed
            } else {
                startLog.warning(
                    "runsc.toml: log_level: unknown level; expected trace, debug, info, warn, warning, error, fatal or panic",
                    [("log_level", level)])
            }
        }
        let log = startLog
        ShimHardening.confineDaemon(environment: environment, log: log)  // Hardening: ShimHardening.swift
        try Reaper.becomeSubreaper()
        // One event loop thread serves ttrpc and carries every other event: SIGCHLD and the shutdown signals
        // (signalfd), runsc's output pipes and the OOM descriptors.
        let group = TTRPCEventLoopGroup.make(numberOfThreads: 1)
        let eventLoop = group.next()
        let publisher = makePublisher(group: group, log: log)

        let (shutdownRequests, shutdown) = AsyncStream.makeStream(of: String.self)
        let reaper = Reaper.shared
        reaper.onSignal(SIGTERM) { shutdown.yield("SIGTERM") }
        reaper.onSignal(SIGINT) { shutdown.yield("SIGINT") }
        try await reaper.start(on: eventLoop)

        var settings = ShimService.Settings(namespace: flags.namespace)
        settings.logRoot = environment["GVISOR_SHIM_LOG_ROOT"]
        // Creates whose options name no runsc.toml (the runc option types) use the runtime's, from `start`.
        if let started = environment[ShimHardening.configPathVariable], !started.isEmpty {
            settings.defaultConfigPath = started
        }
        if let pods = environment["GVISOR_SHIM_KUBELET_PODS_DIR"], !pods.isEmpty {
            settings.kubeletPodsDirectory = pods
        }
        let service = ShimService(
            settings: settings, eventLoop: eventLoop, reaper: reaper, publisher: publisher, log: log,
            onIdleShutdown: { shutdown.yield("shutdown with no containers left") })
        var registry = TTRPCServiceRegistry()
        registry.register(taskService: service)

        var configuration = TTRPCServer.Configuration()
        // A crossed bound means a peer misbehaves on purpose or by bug; malformed input is already answered.
        configuration.connectionErrorHandler = { error in
            if error is TTRPCLimitError {
                log.warning("connection closed: over a ttrpc limit", [("error", "\(error)")])
            } else {
                log.debug("connection closed", [("error", "\(error)")])
            }
        }
        let server: TTRPCServer
        if flags.socket.isEmpty {
            server = try await TTRPCServer.adopt(
                listeningSocket: ShimDaemon.listenerFD, registry: registry, group: group, configuration: configuration)
        } else {
            configuration.removeExistingSocketFile = true
            server = try await TTRPCServer.bind(
                unixDomainSocketPath: SocketAddress(parsing: flags.socket).path, registry: registry, group: group,
                configuration: configuration)
        }
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
        try? await group.shutdownGracefully()
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
