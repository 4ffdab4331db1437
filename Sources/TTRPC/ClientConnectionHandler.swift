import NIOCore
import SwiftProtobuf

/// One client connection: numbers calls with odd stream ids, matches answers to them, enforces deadlines.
///
/// Lives on the connection's event loop; ``TTRPCClient`` runs on that same loop and calls it directly.
final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = FrameParser.Element
    typealias OutboundOut = Frame

    private struct Pending {
        var promise: EventLoopPromise<Ttrpc_Response>
        var timer: Scheduled<Void>?
    }

    private var nextStreamID: UInt32 = 1
    private var pending: [UInt32: Pending] = [:]
    private var context: ChannelHandlerContext?
    private var closedError: TTRPCError?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(.unavailable("ttrpc: closed"))
        self.context = nil
    }

    /// Sends one encoded `ttrpc.Request` and returns its stream id; the promise gets the answer or an error.
    func send(request: ByteBuffer, deadline: NIODeadline?, promise: EventLoopPromise<Ttrpc_Response>) -> UInt32 {
        let streamID = nextStreamID
        nextStreamID &+= 2
        guard let context, closedError == nil else {
            promise.fail(closedError ?? .unavailable("ttrpc: closed"))
            return streamID
        }
        let timer = deadline.map { deadline in
            let connection = NIOLoopBound(self, eventLoop: context.eventLoop)
            return context.eventLoop.scheduleTask(deadline: deadline) {
                connection.value.fail(streamID: streamID, .deadlineExceeded("context deadline exceeded"))
            }
        }
        pending[streamID] = Pending(promise: promise, timer: timer)
        context.writeAndFlush(
            wrapOutboundOut(Frame(streamID: streamID, type: .request, payload: request)), promise: nil)
        return streamID
    }

    /// Abandons a call (cancelled or timed out); a late answer is dropped.
    func fail(streamID: UInt32, _ error: TTRPCError) {
        guard let call = pending.removeValue(forKey: streamID) else { return }
        call.timer?.cancel()
        call.promise.fail(error)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .oversized(let header):
            fail(
                streamID: header.streamID,
                .resourceExhausted(
                    "message length \(header.length) exceed maximum message size of "
                        + "\(FrameHeader.maximumPayloadLength)"))
        case .frame(let frame) where frame.type == .response:
            guard let call = pending.removeValue(forKey: frame.streamID) else { return }
            call.timer?.cancel()
            do {
                call.promise.succeed(try Ttrpc_Response(serializedBytes: Array(frame.payload.readableBytesView)))
            } catch {
                call.promise.fail(TTRPCError.internal("ttrpc: cannot decode response: \(error)"))
            }
        case .frame:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.unavailable("ttrpc: closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(.unavailable("ttrpc: connection failed: \(error)"))
        context.close(promise: nil)
    }

    private func failAll(_ error: TTRPCError) {
        closedError = closedError ?? error
        let calls = pending.values
        pending.removeAll()
        for call in calls {
            call.timer?.cancel()
            call.promise.fail(error)
        }
    }
}
