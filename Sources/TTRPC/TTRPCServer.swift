import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A ttrpc server on a unix socket.
///
/// An actor whose executor is the listening channel's event loop: connection bookkeeping happens on that loop with
/// no locks. Requests on one connection are served concurrently; a malformed connection is closed alone.
public actor TTRPCServer {
    /// Where handler tasks run.
    public enum HandlerExecution: Hashable, Sendable {
        /// On Swift's global concurrent executor: a handler that blocks delays only itself.
        case concurrent
        /// On the connection's event loop: fastest, but a handler that blocks stalls its event loop.
        case eventLoop
    }

    public struct Configuration: Sendable {
        /// Who may connect; containerd's shims accept only their own user.
        public var peerCredentials: PeerCredentialPolicy = .sameUser
        public var handlerExecution: HandlerExecution = .concurrent
        /// Mode of a socket file the server creates.
        public var socketPermissions: mode_t = 0o600
        /// Replace a file already at the socket path. Off by default, so a live server's socket is never taken over.
        public var removeExistingSocketFile = false
        /// Sees each error that closed a connection (malformed input, refused credentials, a crossed
        /// ``TTRPCLimitError`` bound), e.g. to log it.
        public var connectionErrorHandler: (@Sendable (any Error) -> Void)?
        /// Sees each call's arrival and answer; by default ``TTRPCCallObserver/processDefault`` as it is when the
        /// configuration is made.
        public var callObserver: TTRPCCallObserver? = TTRPCCallObserver.processDefault
        /// What one peer may make the server hold.
        public var limits = TTRPCServerLimits()

        public init() {}
    }

    /// The event loop that accepts connections and runs this actor.
    public nonisolated let eventLoop: any EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        eventLoop.executor.asUnownedSerialExecutor()
    }

    private let group: any EventLoopGroup
    private let registry: TTRPCServiceRegistry
    private let configuration: Configuration
    /// Open connections, counted as they are accepted (on any event loop) rather than when ``connections`` learns
    /// of them on the server's loop.
    private nonisolated let openConnections: SharedBudget
    /// Bytes of partially received frames, all connections together.
    private nonisolated let partialFrameBytes: SharedBudget
    private var listener: (any Channel)?
    private var connections: [ObjectIdentifier: any Channel] = [:]
    private var ownedSocketPath: String?
    private var closing = false

    private init(group: any EventLoopGroup, registry: TTRPCServiceRegistry, configuration: Configuration) {
        self.group = group
        self.eventLoop = group.next()
        self.registry = registry
        self.configuration = configuration
        self.openConnections = SharedBudget(limit: configuration.limits.maximumConnections)
        self.partialFrameBytes = SharedBudget(limit: configuration.limits.maximumPartialFrameBytes)
    }

    /// Listens on a new socket file at `path` (mode ``Configuration/socketPermissions``); the file is removed on
    /// ``close(gracePeriod:)``.
    public static func bind(
        unixDomainSocketPath path: String, registry: TTRPCServiceRegistry, group: any EventLoopGroup,
        configuration: Configuration = Configuration()
    ) async throws -> TTRPCServer {
        let server = TTRPCServer(group: group, registry: registry, configuration: configuration)
        let channel = try await server.bootstrap()
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: configuration.removeExistingSocketFile)
            .get()
        guard chmod(path, configuration.socketPermissions) == 0 else {
            let code = errno
            try? await channel.close()
            unlink(path)
            throw IOError(errnoCode: code, reason: "chmod \(path)")
        }
        await server.started(listener: channel, socketPath: path)
        return server
    }

    /// Serves on an already bound and listening socket, such as the one containerd's shim start hands its daemon as
    /// fd 3. The server owns the descriptor from now on.
    public static func adopt(
        listeningSocket descriptor: CInt, registry: TTRPCServiceRegistry, group: any EventLoopGroup,
        configuration: Configuration = Configuration()
    ) async throws -> TTRPCServer {
        let server = TTRPCServer(group: group, registry: registry, configuration: configuration)
        let channel = try await server.bootstrap().withBoundSocket(descriptor).get()
        await server.started(listener: channel, socketPath: nil)
        return server
    }

    /// The listening address.
    public var localAddress: SocketAddress? {
        listener?.localAddress
    }

    /// Number of open connections.
    public var connectionCount: Int {
        connections.count
    }

    /// Stops accepting, lets each connection finish its in-flight calls, then closes it; connections still busy
    /// after `gracePeriod` are closed (their handlers cancelled). Idempotent.
    public func close(gracePeriod: Duration = .seconds(5)) async {
        guard !closing else { return }
        closing = true
        if let listener {
            try? await listener.close()
        }
        if let path = ownedSocketPath {
            unlink(path)
        }
        let open = Array(connections.values)
        for channel in open {
            channel.eventLoop.execute {
                channel.pipeline.syncOperations.fireUserInboundEventTriggered(TTRPCQuiesceEvent())
            }
        }
        let force = eventLoop.scheduleTask(in: TimeAmount(gracePeriod)) {
            for channel in open { channel.close(promise: nil) }
        }
        try? await EventLoopFuture.andAllComplete(open.map(\.closeFuture), on: eventLoop).get()
        force.cancel()
    }

    private nonisolated func bootstrap() -> ServerBootstrap {
        let configuration = self.configuration
        let registry = self.registry
        let openConnections = self.openConnections
        let partialFrameBytes = self.partialFrameBytes
        let limits = configuration.limits
        return ServerBootstrap(group: eventLoop, childGroup: group)
            .serverChannelOption(.backlog, value: 128)
            .childChannelInitializer { channel in
                guard openConnections.reserve(1) else {
                    let error = TTRPCLimitError.tooManyConnections(limit: openConnections.limit)
                    configuration.connectionErrorHandler?(error)
                    return channel.eventLoop.makeFailedFuture(error)
                }
                channel.closeFuture.whenComplete { _ in openConnections.release(1) }
                return configuration.peerCredentials.check(channel).flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(
                            ServerFrameDecoder(budget: partialFrameBytes, timeout: limits.partialFrameTimeout)),
                        MessageToByteHandler(FrameEncoder()),
                        ServerConnectionHandler(
                            registry: registry, execution: configuration.handlerExecution,
                            maximumInFlightCalls: limits.maximumInFlightCallsPerConnection,
                            errorHandler: configuration.connectionErrorHandler,
                            callObserver: configuration.callObserver))
                    self.track(channel)
                }.flatMapErrorThrowing { error in
                    configuration.connectionErrorHandler?(error)
                    throw error
                }
            }
    }

    private func started(listener: any Channel, socketPath: String?) {
        self.listener = listener
        self.ownedSocketPath = socketPath
    }

    /// Records a connection from its own event loop; both updates hop to the server's loop in order.
    private nonisolated func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        eventLoop.execute {
            self.assumeIsolated { server in
                if server.closing {
                    channel.close(promise: nil)
                } else {
                    server.connections[id] = channel
                }
            }
        }
        channel.closeFuture.whenComplete { _ in
            self.eventLoop.execute {
                self.assumeIsolated { $0.connections[id] = nil }
            }
        }
    }
}
