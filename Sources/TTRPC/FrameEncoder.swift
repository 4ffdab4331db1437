import NIOCore

/// NIO encoder for outbound ``Frame``s.
public struct FrameEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = Frame

    public init() {}

    public func encode(data: Frame, out: inout ByteBuffer) throws {
        try data.encode(into: &out)
    }
}
