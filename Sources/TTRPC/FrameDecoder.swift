import NIOCore

/// NIO decoder turning a byte stream into ``FrameParser/Element``s.
///
/// Errors (a malformed header, or end of input inside a frame) are fired down the pipeline; the ttrpc handlers
/// answer them by closing that one connection.
public struct FrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = FrameParser.Element

    private var parser: FrameParser

    public init(maximumPayloadLength: Int = FrameHeader.maximumPayloadLength) {
        self.parser = FrameParser(maximumPayloadLength: maximumPayloadLength)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let element = try parser.next(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(element))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while let element = try parser.next(from: &buffer) {
            context.fireChannelRead(Self.wrapInboundOut(element))
        }
        try parser.finish(leftover: buffer)
        return .needMoreData
    }
}
