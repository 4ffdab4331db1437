import NIOCore

/// One ttrpc frame: a header's routing fields and its payload.
public struct Frame: Hashable, Sendable {
    public var streamID: UInt32
    public var type: FrameType
    public var flags: UInt8
    public var payload: ByteBuffer

    public init(streamID: UInt32, type: FrameType, flags: UInt8 = 0, payload: ByteBuffer) {
        self.streamID = streamID
        self.type = type
        self.flags = flags
        self.payload = payload
    }

    /// The header this frame is sent with.
    public var header: FrameHeader {
        FrameHeader(
            length: UInt32(truncatingIfNeeded: payload.readableBytes), streamID: streamID, type: type, flags: flags)
    }

    /// Appends the encoded frame to `buffer`.
    ///
    /// - Throws: ``FrameError/payloadTooLarge(streamID:length:maximum:)`` when the payload exceeds
    ///   ``FrameHeader/maximumPayloadLength``; the peer would discard it anyway.
    public func encode(into buffer: inout ByteBuffer) throws(FrameError) {
        guard payload.readableBytes <= FrameHeader.maximumPayloadLength else {
            throw .payloadTooLarge(
                streamID: streamID, length: payload.readableBytes, maximum: FrameHeader.maximumPayloadLength)
        }
        buffer.reserveCapacity(minimumWritableBytes: FrameHeader.byteCount + payload.readableBytes)
        buffer.writeFrameHeader(header)
        buffer.writeImmutableBuffer(payload)
    }
}

/// Why bytes could not be framed.
public enum FrameError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The length field's reserved first byte is not 0: the peer does not speak ttrpc.
    case malformedHeader(FrameHeader)
    /// The connection ended inside a frame.
    case truncated(bytesMissing: Int)
    /// An outbound payload exceeds the 4 MiB limit.
    case payloadTooLarge(streamID: UInt32, length: Int, maximum: Int)

    public var description: String {
        switch self {
        case .malformedHeader(let header):
            "ttrpc: malformed frame header (length \(header.length) has its reserved byte set, stream \(header.streamID), "
                + "\(header.type)); not a ttrpc peer"
        case .truncated(let missing):
            "ttrpc: connection ended inside a frame, \(missing) byte(s) missing"
        case .payloadTooLarge(let streamID, let length, let maximum):
            "ttrpc: message length \(length) on stream \(streamID) exceeds maximum message size of \(maximum)"
        }
    }
}
