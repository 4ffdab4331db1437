import NIOCore

/// The server's ``FrameDecoder``, with the partial-frame bounds of ``TTRPCServerLimits``: a frame's bytes count
/// against the server-wide budget from the moment its header arrives until it is complete, and it must be complete
/// within the timeout of its first byte.
///
/// The reservation is the whole announced frame rather than what has arrived so far, so a frame that would not fit
/// is refused before anything of it is buffered, and a peer cannot creep up on the budget byte by byte.
struct ServerFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = FrameParser.Element

    private var parser = FrameParser()
    private let budget: SharedBudget
    private let timeout: Duration
    /// Bytes of `budget` this connection holds for the frame now arriving.
    private var reserved = 0
    private var timer: Scheduled<Void>?

    init(budget: SharedBudget, timeout: Duration) {
        self.budget = budget
        self.timeout = timeout
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if let element = try parser.next(from: &buffer) {
            frameEnded()
            // An oversized frame's body is still to come (and to be skipped); NIO calls `decode` again only once
            // more bytes arrive, so its clock starts here.
            if !parser.isAtFrameBoundary { startClock(context: context) }
            context.fireChannelRead(Self.wrapInboundOut(element))
            return .continue
        }
        try framePending(context: context, buffer: buffer)
        return .needMoreData
    }

    mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while let element = try parser.next(from: &buffer) {
            frameEnded()
            context.fireChannelRead(Self.wrapInboundOut(element))
        }
        defer { frameEnded() }
        try parser.finish(leftover: buffer)
        return .needMoreData
    }

    mutating func decoderRemoved(context: ChannelHandlerContext) {
        frameEnded()
    }

    /// Between frames: nothing reserved, no clock running.
    private mutating func frameEnded() {
        timer?.cancel()
        timer = nil
        if reserved > 0 {
            budget.release(reserved)
            reserved = 0
        }
    }

    /// The parser needs more input: reserve the frame's announced size (or the header bytes so far) and start the
    /// clock if this frame has not started it yet. A frame being skipped (oversized) holds no bytes but still runs
    /// against the clock.
    private mutating func framePending(context: ChannelHandlerContext, buffer: ByteBuffer) throws {
        guard !parser.isAtFrameBoundary || buffer.readableBytes > 0 else {
            frameEnded()
            return
        }
        let wanted =
            if !parser.isAtFrameBoundary {
                0
            } else if let header = buffer.getFrameHeader(at: buffer.readerIndex) {
                FrameHeader.byteCount + Int(header.length)
            } else {
                buffer.readableBytes
            }
        if wanted > reserved {
            guard budget.reserve(wanted - reserved) else {
                throw TTRPCLimitError.partialFrameBytesExceeded(
                    frameBytes: wanted, heldBytes: budget.current, limit: budget.limit)
            }
            reserved = wanted
        }
        startClock(context: context)
    }

    /// Starts the current frame's clock unless it runs already.
    private mutating func startClock(context: ChannelHandlerContext) {
        guard timer == nil else { return }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let timeout = self.timeout
        timer = context.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            let context = bound.value
            context.fireErrorCaught(TTRPCLimitError.partialFrameTimedOut(timeout: timeout))
            context.close(promise: nil)
        }
    }
}
