import NIOCore
import NIOPosix
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A ttrpc client for unary calls over a unix socket.
///
/// Connects on first use and again on the first call after the connection closed; calls in flight when it
/// closes fail with `Unavailable`, so a caller can retry. An actor running on its connection's event loop, so
/// each call costs one hop in and one out.
public actor TTRPCClient {
    public struct Configuration: Sendable {
        public var connectTimeout: Duration = .seconds(5)
        /// Timeout of calls that pass none; nil waits forever.
        public var defaultTimeout: Duration?
        /// Sent with every call, before the call's own metadata.
        public var metadata = TTRPCMetadata()

        public init() {}
    }

    private struct Connection {
        var channel: any Channel
        var handler: NIOLoopBound<ClientConnectionHandler>
    }

    public nonisolated let eventLoop: any EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        eventLoop.executor.asUnownedSerialExecutor()
    }

    /// Runs tasks on this client's event loop. A caller that makes many calls in a row can prefer it
    /// (`withTaskExecutorPreference`) to save the two thread hops per call into and out of the client; its code
    /// must then not block.
    public nonisolated let taskExecutor: any TaskExecutor

    /// The socket this client dials.
    public nonisolated let socketPath: String
    private let configuration: Configuration
    private var connection: Connection?
    private var connecting: EventLoopFuture<Connection>?
    private var closed = false

    public init(unixDomainSocketPath: String, group: any EventLoopGroup, configuration: Configuration = Configuration())
    {
        self.socketPath = unixDomainSocketPath
        self.eventLoop = group.next()
        self.taskExecutor = EventLoopTaskExecutor(eventLoop: eventLoop)
        self.configuration = configuration
    }

    /// Calls `service`/`method` with an encoded request and returns the encoded response.
    ///
    /// - Parameter timeout: sent as `timeout_nano`; when it passes locally the call fails with `DeadlineExceeded`.
    /// - Throws: ``TTRPCError``: the server's status, or `Unavailable` (no connection), `DeadlineExceeded`,
    ///   `Cancelled` (the calling task was cancelled), `ResourceExhausted` (request over 4 MiB).
    public func call(
        service: String, method: String, payload: Data, metadata: TTRPCMetadata = TTRPCMetadata(),
        timeout: Duration? = nil
    ) async throws(TTRPCError) -> Data {
        let timeout = timeout ?? configuration.defaultTimeout
        let deadline = timeout.map { NIODeadline.now() + TimeAmount($0) }
        var request = Ttrpc_Request()
        request.service = service
        request.method = method
        request.payload = payload
        if let timeout {
            request.timeoutNano = max(
                1,
                Int64(timeout.components.seconds) * 1_000_000_000
                    + timeout.components.attoseconds / 1_000_000_000)
        }
        request.metadata = configuration.metadata.wire + metadata.wire
        let bytes: [UInt8]
        do {
            bytes = try request.serializedBytes()
        } catch {
            throw .internal("ttrpc: cannot encode request for \(service)/\(method): \(error)")
        }
        guard bytes.count <= FrameHeader.maximumPayloadLength else {
            throw .resourceExhausted(
                "message length \(bytes.count) exceed maximum message size of \(FrameHeader.maximumPayloadLength)")
        }

        let handler = try await connectedHandler(deadline: deadline)
        let promise = eventLoop.makePromise(of: Ttrpc_Response.self)
        let streamID = handler.value.send(request: ByteBuffer(bytes: bytes), deadline: deadline, promise: promise)
        let eventLoop = self.eventLoop
        let response: Ttrpc_Response
        do {
            response = try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                eventLoop.execute { handler.value.fail(streamID: streamID, .cancelled("context canceled")) }
            }
        } catch {
            throw TTRPCError(mapping: error)
        }
        if response.hasStatus, response.status.code != TTRPCStatusCode.ok.rawValue {
            throw TTRPCError(status: response.status)
        }
        return response.payload
    }

    /// Calls `service`/`method` with protobuf messages.
    public func call<Request: Message, Response: Message>(
        service: String, method: String, request: Request, responseType: Response.Type = Response.self,
        metadata: TTRPCMetadata = TTRPCMetadata(), timeout: Duration? = nil
    ) async throws(TTRPCError) -> Response {
        let payload: Data
        do {
            payload = try request.serializedBytes()
        } catch {
            throw .internal("ttrpc: cannot encode \(Request.protoMessageName): \(error)")
        }
        let output = try await call(
            service: service, method: method, payload: payload, metadata: metadata, timeout: timeout)
        do {
            return try Response(serializedBytes: output)
        } catch {
            throw .internal(
                "ttrpc: cannot decode the answer of \(service)/\(method) as \(Response.protoMessageName): \(error)")
        }
    }

    /// Connects now rather than on the first call.
    public func connect() async throws(TTRPCError) {
        _ = try await connectedHandler(deadline: nil)
    }

    /// Whether a connection is open.
    public var isConnected: Bool {
        connection?.channel.isActive ?? false
    }

    /// Closes the connection; later calls fail with `Unavailable`.
    public func close() async {
        closed = true
        if let channel = connection?.channel {
            try? await channel.close()
        }
        connection = nil
    }

    private func connectedHandler(deadline: NIODeadline?) async throws(TTRPCError) -> NIOLoopBound<
        ClientConnectionHandler
    > {
        guard !closed else { throw .unavailable("ttrpc: closed") }
        if let connection, connection.channel.isActive {
            return connection.handler
        }
        connection = nil
        let attempt = connecting ?? makeConnection(deadline: deadline)
        connecting = attempt
        do {
            let made = try await attempt.get()
            connecting = nil
            if closed {
                made.channel.close(promise: nil)
                throw TTRPCError.unavailable("ttrpc: closed")
            }
            connection = made
            return made.handler
        } catch {
            connecting = nil
            if let error = error as? TTRPCError { throw error }
            throw .unavailable("ttrpc: cannot connect to \(socketPath): \(error)")
        }
    }

    private func makeConnection(deadline: NIODeadline?) -> EventLoopFuture<Connection> {
        var connectTimeout = TimeAmount(configuration.connectTimeout)
        if let deadline {
            connectTimeout = min(connectTimeout, max(.nanoseconds(1), deadline - .now()))
        }
        let eventLoop = self.eventLoop
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(FrameDecoder()), MessageToByteHandler(FrameEncoder()),
                        ClientConnectionHandler())
                }
            }
            .connect(unixDomainSocketPath: socketPath)
            .flatMapThrowing { channel in
                let handler = try channel.pipeline.syncOperations.handler(type: ClientConnectionHandler.self)
                return Connection(channel: channel, handler: NIOLoopBound(handler, eventLoop: eventLoop))
            }
    }
}
