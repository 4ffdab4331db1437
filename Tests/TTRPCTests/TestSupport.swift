import NIOCore
import NIOPosix
import SwiftProtobuf
import TTRPC
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A private directory removed with everything in it when `body` returns.
func withTemporaryDirectory<R>(_ body: (String) async throws -> R) async throws -> R {
    var template = Array("/tmp/ttrpc-test-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else {
        throw TestFailure("mkdtemp: errno \(errno)")
    }
    let path = String(cString: made)
    defer { removeTree(path) }
    return try await body(path)
}

func removeTree(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` against a server on a fresh socket with its own one-thread event loop group, then tears it all down.
func withServer<R>(
    _ registry: TTRPCServiceRegistry, configuration: TTRPCServer.Configuration = TTRPCServer.Configuration(),
    _ body: (_ server: TTRPCServer, _ path: String, _ group: MultiThreadedEventLoopGroup) async throws -> R
) async throws -> R {
    try await withTemporaryDirectory { directory in
        let group = TTRPCEventLoopGroup.make()
        let path = directory + "/ttrpc.sock"
        do {
            let server = try await TTRPCServer.bind(
                unixDomainSocketPath: path, registry: registry, group: group, configuration: configuration)
            let result: R
            do {
                result = try await body(server, path, group)
            } catch {
                await server.close(gracePeriod: .zero)
                throw error
            }
            await server.close(gracePeriod: .seconds(1))
            try await group.shutdownGracefully()
            return result
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }
}

/// Runs `body` with a client of `path` that is closed afterwards.
func withClient<R>(
    _ path: String, group: any EventLoopGroup,
    configuration: TTRPCClient.Configuration = TTRPCClient.Configuration(),
    _ body: (TTRPCClient) async throws -> R
) async throws -> R {
    let client = TTRPCClient(unixDomainSocketPath: path, group: group, configuration: configuration)
    do {
        let result = try await body(client)
        await client.close()
        return result
    } catch {
        await client.close()
        throw error
    }
}

/// A byte-level connection to a server, for sending what a well-behaved client never would.
final class RawConnection {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var buffer = ByteBuffer()
    private var parser = FrameParser()
    private var ended = false

    fileprivate init(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) {
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    func send(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    func send(_ frame: Frame) async throws {
        var bytes = ByteBuffer()
        try frame.encode(into: &bytes)
        try await outbound.write(bytes)
    }

    /// Sends a Request frame for `request` on `streamID`.
    func send(_ request: Ttrpc_Request, streamID: UInt32) async throws {
        try await send(
            Frame(streamID: streamID, type: .request, payload: ByteBuffer(bytes: request.serializedBytes() as [UInt8])))
    }

    /// Half-closes the connection: the server sees end of input.
    func finishSending() {
        outbound.finish()
    }

    /// The next frame from the server, or nil once it closed the connection.
    func next() async throws -> FrameParser.Element? {
        while true {
            if let element = try parser.next(from: &buffer) { return element }
            guard !ended, let more = try await inbound.next() else {
                ended = true
                try parser.finish(leftover: buffer)
                return nil
            }
            buffer.writeImmutableBuffer(more)
        }
    }

    /// The next Response frame, decoded.
    func response() async throws -> (streamID: UInt32, response: Ttrpc_Response) {
        guard let element = try await next() else { throw TestFailure("server closed the connection") }
        guard case .frame(let frame) = element, frame.type == .response else {
            throw TestFailure("expected a Response frame, got \(element)")
        }
        return (frame.streamID, try Ttrpc_Response(serializedBytes: Array(frame.payload.readableBytesView)))
    }

    /// Whether the server closes the connection without sending anything more.
    func closedByServer() async throws -> Bool {
        try await next() == nil
    }
}

/// Opens a raw connection to `path`; it is closed after `body`, and forcibly after `timeout` so no test hangs.
func withRawConnection<R: Sendable>(
    to path: String, group: any EventLoopGroup, timeout: Duration = .seconds(20),
    _ body: (RawConnection) async throws -> R
) async throws -> R {
    let channel = try await ClientBootstrap(group: group)
        .connect(unixDomainSocketPath: path) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                    wrappingChannelSynchronously: channel,
                    configuration: .init(isOutboundHalfClosureEnabled: true))
            }
        }
    let watchdog = channel.channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
        channel.channel.close(promise: nil)
    }
    defer { watchdog.cancel() }
    return try await channel.executeThenClose { inbound, outbound in
        try await body(RawConnection(inbound: inbound, outbound: outbound))
    }
}

/// A Request message.
func makeRequest(
    service: String, method: String, payload: [UInt8] = [], timeoutNano: Int64 = 0,
    metadata: [(String, String)] = []
) -> Ttrpc_Request {
    var request = Ttrpc_Request()
    request.service = service
    request.method = method
    request.payload = Data(payload)
    request.timeoutNano = timeoutNano
    request.metadata = metadata.map {
        var pair = Ttrpc_KeyValue()
        pair.key = $0.0
        pair.value = $0.1
        return pair
    }
    return request
}

/// Records values from concurrent code.
actor Recorder<Value: Sendable> {
    private(set) var values: [Value] = []

    func record(_ value: Value) {
        values.append(value)
    }
}

/// The services most server tests use.
enum TestServices {
    static let echo = "test.Echo"

    /// `test.Echo`: `Echo` returns its payload; `Sleep` sleeps the milliseconds in its first payload bytes
    /// (big-endian u32) and reports cancellation as thrown `CancellationError`; `Fail` throws what `error` says.
    static func registry(
        onCall: (@Sendable (TTRPCRequestContext) async -> Void)? = nil,
        error: @escaping @Sendable () -> any Error = { TTRPCError.notFound("nothing here") }
    ) -> TTRPCServiceRegistry {
        var registry = TTRPCServiceRegistry()
        registry.register(service: echo, method: "Echo") { payload, context in
            await onCall?(context)
            return payload
        }
        registry.register(service: echo, method: "Sleep") { payload, context in
            await onCall?(context)
            let bytes = [UInt8](payload)
            let milliseconds = bytes.count >= 4 ? bytes[0..<4].reduce(0) { $0 << 8 | Int($1) } : 0
            try await Task.sleep(for: .milliseconds(milliseconds))
            return payload
        }
        registry.register(service: echo, method: "Fail") { _, context in
            await onCall?(context)
            throw error()
        }
        return registry
    }

    static func sleepPayload(milliseconds: UInt32) -> Data {
        Data([24, 16, 8, 0].map { UInt8(truncatingIfNeeded: milliseconds >> $0) })
    }
}
