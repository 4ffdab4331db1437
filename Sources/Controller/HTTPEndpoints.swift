import NIOCore
import NIOHTTP1
import NIOPosix

/// `/healthz`, `/readyz` and `/metrics` over plain HTTP on one or more addresses (the kubelet's probes and
/// Prometheus). Answers come from async closures, so the server knows nothing about the controller.
public final class HTTPEndpoints: Sendable {
    public typealias Handler = @Sendable (_ path: String) async -> (status: Int, contentType: String, body: String)

    private let channels: [any Channel]

    /// Binds every address (`host:port`, `:port` means all interfaces); port 0 picks a free port.
    public init(addresses: [String], handler: @escaping Handler) async throws {
        var channels: [any Channel] = []
        for address in addresses {
            let (host, port) = try Self.split(address)
            let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.pipeline.configureHTTPServerPipeline().flatMap {
                        channel.pipeline.addHandler(EndpointHandler(handler: handler))
                    }
                }
            channels.append(try await bootstrap.bind(host: host, port: port).get())
        }
        self.channels = channels
    }

    /// The bound ports, in the order of the addresses (useful with port 0).
    public var ports: [Int] { channels.compactMap { $0.localAddress?.port } }

    public func close() async {
        for channel in channels { try? await channel.close() }
    }

    static func split(_ address: String) throws -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw ControllerError("bind address \"\(address)\": expected host:port or :port")
        }
        let host = String(address[..<colon])
        return (host.isEmpty ? "0.0.0.0" : host.trimmingCharacters(in: ["[", "]"]), port)
    }
}

private final class EndpointHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let handler: HTTPEndpoints.Handler
    private var path = "/"
    private var keepAlive = true

    init(handler: @escaping HTTPEndpoints.Handler) {
        self.handler = handler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "/")
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            let path = path
            let keepAlive = keepAlive
            let handler = handler
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            Task {
                let answer = await handler(path)
                loop.execute {
                    let (this, context) = bound.value
                    this.respond(context, answer, keepAlive: keepAlive)
                }
            }
        }
    }

    private func respond(
        _ context: ChannelHandlerContext, _ answer: (status: Int, contentType: String, body: String), keepAlive: Bool
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: answer.contentType)
        headers.add(name: "Content-Length", value: String(answer.body.utf8.count))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: answer.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: answer.body)))), promise: nil)
        let done = context.writeAndFlushPromise()
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        if !keepAlive {
            let channel = context.channel
            done.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

extension ChannelHandlerContext {
    fileprivate func writeAndFlushPromise() -> EventLoopPromise<Void> { eventLoop.makePromise() }
}
