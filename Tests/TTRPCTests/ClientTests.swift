import NIOCore
import NIOPosix
import Testing

@testable import TTRPC

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A listener that accepts connections and answers nothing, or sends `reply` bytes to each, so the client's own
/// behaviour (local deadlines, garbage from the server) can be observed.
private func withSilentServer<R>(
    reply: [UInt8]? = nil, _ body: (_ path: String, _ group: any EventLoopGroup) async throws -> R
) async throws -> R {
    try await withTemporaryDirectory { directory in
        let group = TTRPCEventLoopGroup.make()
        let path = directory + "/silent.sock"
        let listener = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let reply {
                        try channel.pipeline.syncOperations.addHandler(GreetingHandler(bytes: reply))
                    }
                }
            }
            .bind(unixDomainSocketPath: path).get()
        do {
            let result = try await body(path, group)
            try await listener.close()
            try await group.shutdownGracefully()
            return result
        } catch {
            try? await listener.close()
            try? await group.shutdownGracefully()
            throw error
        }
    }
}

/// Sends fixed bytes as soon as a connection is up.
private final class GreetingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let bytes: [UInt8]

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
        context.fireChannelActive()
    }
}

@Suite("TTRPC client")
struct ClientTests {
    @Test("stream ids start at 1 and grow by 2 on each connection")
    func streamIDs() async throws {
        let seen = Recorder<UInt32>()
        try await withServer(TestServices.registry(onCall: { await seen.record($0.streamID) })) { _, path, group in
            for _ in 0..<2 {
                try await withClient(path, group: group) { client in
                    for _ in 0..<4 {
                        _ = try await client.call(service: TestServices.echo, method: "Echo", payload: Data())
                    }
                }
            }
        }
        #expect(await seen.values == [1, 3, 5, 7, 1, 3, 5, 7])
    }

    @Test("a call past its deadline fails locally with DeadlineExceeded")
    func deadline() async throws {
        try await withSilentServer { path, group in
            try await withClient(path, group: group) { client in
                let start = ContinuousClock.now
                let error = await #expect(throws: TTRPCError.self) {
                    try await client.call(
                        service: TestServices.echo, method: "Echo", payload: Data(), timeout: .milliseconds(150))
                }
                let elapsed = ContinuousClock.now - start
                #expect(error == .deadlineExceeded("context deadline exceeded"))
                #expect(elapsed >= .milliseconds(150) && elapsed < .seconds(5))
            }
        }
    }

    @Test("the configured default timeout applies to calls without one")
    func defaultTimeout() async throws {
        try await withSilentServer { path, group in
            var configuration = TTRPCClient.Configuration()
            configuration.defaultTimeout = .milliseconds(100)
            try await withClient(path, group: group, configuration: configuration) { client in
                let error = await #expect(throws: TTRPCError.self) {
                    try await client.call(service: TestServices.echo, method: "Echo", payload: Data())
                }
                #expect(error?.code == .deadlineExceeded)
            }
        }
    }

    @Test("cancelling the calling task fails the call with Cancelled")
    func cancellation() async throws {
        try await withSilentServer { path, group in
            try await withClient(path, group: group) { client in
                try await client.connect()
                let call = Task {
                    try await client.call(service: TestServices.echo, method: "Echo", payload: Data())
                }
                try await Task.sleep(for: .milliseconds(50))
                call.cancel()
                let error = await #expect(throws: TTRPCError.self) { try await call.value }
                #expect(error?.code == .cancelled)
            }
        }
    }

    @Test("garbage from the server fails pending calls with Unavailable")
    func garbageFromServer() async throws {
        try await withSilentServer(reply: [0xFF, 1, 2, 3, 4, 5, 6, 7, 8, 9]) { path, group in
            try await withClient(path, group: group) { client in
                let error = await #expect(throws: TTRPCError.self) {
                    try await client.call(
                        service: TestServices.echo, method: "Echo", payload: Data(), timeout: .seconds(10))
                }
                #expect(error?.code == .unavailable)
            }
        }
    }

    @Test("no server at the path is Unavailable naming the path")
    func noServer() async throws {
        try await withTemporaryDirectory { directory in
            let group = TTRPCEventLoopGroup.make()
            let path = directory + "/absent.sock"
            try await withClient(path, group: group) { client in
                let error = await #expect(throws: TTRPCError.self) {
                    try await client.call(service: TestServices.echo, method: "Echo", payload: Data())
                }
                #expect(error?.code == .unavailable)
                #expect(error?.message.contains(path) == true)
            }
            try await group.shutdownGracefully()
        }
    }

    @Test("a request over 4 MiB is refused before sending")
    func oversizedRequest() async throws {
        try await withServer(TestServices.registry()) { _, path, group in
            try await withClient(path, group: group) { client in
                let error = await #expect(throws: TTRPCError.self) {
                    try await client.call(
                        service: TestServices.echo, method: "Echo",
                        payload: Data(count: FrameHeader.maximumPayloadLength))
                }
                #expect(error?.code == .resourceExhausted)
                let payload = try await client.call(service: TestServices.echo, method: "Echo", payload: Data([1]))
                #expect(Array(payload) == [1])
            }
        }
    }

    @Test("concurrent first calls share one connection")
    func sharedConnect() async throws {
        try await withServer(TestServices.registry()) { server, path, group in
            try await withClient(path, group: group) { client in
                try await withThrowingTaskGroup(of: Void.self) { calls in
                    for _ in 0..<20 {
                        calls.addTask {
                            _ = try await client.call(service: TestServices.echo, method: "Echo", payload: Data())
                        }
                    }
                    try await calls.waitForAll()
                }
                #expect(await server.connectionCount == 1)
            }
        }
    }

    @Test("the client reconnects for the next call after the server restarts")
    func reconnect() async throws {
        try await withTemporaryDirectory { directory in
            let group = TTRPCEventLoopGroup.make()
            let path = directory + "/restart.sock"
            let client = TTRPCClient(unixDomainSocketPath: path, group: group)
            var server = try await TTRPCServer.bind(
                unixDomainSocketPath: path, registry: TestServices.registry(), group: group)
            #expect(Array(try await client.call(service: TestServices.echo, method: "Echo", payload: Data([1]))) == [1])
            await server.close()
            let down = await #expect(throws: TTRPCError.self) {
                try await client.call(service: TestServices.echo, method: "Echo", payload: Data([2]))
            }
            #expect(down?.code == .unavailable)
            #expect(await client.isConnected == false)
            server = try await TTRPCServer.bind(
                unixDomainSocketPath: path, registry: TestServices.registry(), group: group)
            #expect(Array(try await client.call(service: TestServices.echo, method: "Echo", payload: Data([3]))) == [3])
            #expect(await client.isConnected)
            await client.close()
            await server.close()
            try await group.shutdownGracefully()
        }
    }

    @Test("a closed client refuses further calls")
    func closedClient() async throws {
        try await withServer(TestServices.registry()) { _, path, group in
            let client = TTRPCClient(unixDomainSocketPath: path, group: group)
            _ = try await client.call(service: TestServices.echo, method: "Echo", payload: Data())
            await client.close()
            let error = await #expect(throws: TTRPCError.self) {
                try await client.call(service: TestServices.echo, method: "Echo", payload: Data())
            }
            #expect(error == .unavailable("ttrpc: closed"))
        }
    }

    @Test("typed calls encode and decode protobuf messages")
    func typedCall() async throws {
        let method = TTRPCMethod<Ttrpc_KeyValue, Ttrpc_StringList>(service: "test.Typed", method: "Split")
        var registry = TTRPCServiceRegistry()
        registry.register(method) { request, _ in
            var list = Ttrpc_StringList()
            list.list = [request.key, request.value]
            return list
        }
        try await withServer(registry) { _, path, group in
            try await withClient(path, group: group) { client in
                var pair = Ttrpc_KeyValue()
                pair.key = "a"
                pair.value = "b"
                let answer = try await client.call(method, pair)
                #expect(answer.list == ["a", "b"])
                // A payload that is not a KeyValue: the server names the expected type.
                let error = await #expect(throws: TTRPCError.self) {
                    try await client.call(service: "test.Typed", method: "Split", payload: Data([0x0A, 0x7F]))
                }
                #expect(error?.code == .invalidArgument)
                #expect(error?.message.contains("ttrpc.KeyValue") == true)
            }
        }
    }
}
