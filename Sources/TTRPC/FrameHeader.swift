import NIOCore

/// The kind of a ttrpc frame.
///
/// A struct rather than an enum so that a peer speaking a newer protocol version can send kinds we do not know:
/// ttrpc v1.1 servers skip such frames "for future compat", and so do we.
public struct FrameType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// A client's call: the payload is a `ttrpc.Request`.
    public static let request = FrameType(rawValue: 1)
    /// A server's answer on the call's stream id: the payload is a `ttrpc.Response`.
    public static let response = FrameType(rawValue: 2)
    /// A streaming chunk (ttrpc v1.2+); unary-only peers ignore it.
    public static let data = FrameType(rawValue: 3)

    public var description: String {
        switch self {
        case .request: "request"
        case .response: "response"
        case .data: "data"
        default: "type(\(rawValue))"
        }
    }
}

/// The fixed 10-byte big-endian header in front of every ttrpc frame.
///
/// `length` counts the payload only. Its first byte is reserved and always 0 because no payload may exceed
/// ``maximumPayloadLength``; ``FrameParser`` uses that to tell an oversized frame from garbage.
public struct FrameHeader: Hashable, Sendable {
    /// Size of the encoded header in bytes.
    public static let byteCount = 10
    /// The largest payload ttrpc accepts (`messageLengthMax`, 4 MiB).
    public static let maximumPayloadLength = 4 << 20

    public var length: UInt32
    public var streamID: UInt32
    public var type: FrameType
    public var flags: UInt8

    public init(length: UInt32, streamID: UInt32, type: FrameType, flags: UInt8 = 0) {
        self.length = length
        self.streamID = streamID
        self.type = type
        self.flags = flags
    }
}

extension ByteBuffer {
    /// Reads a ``FrameHeader`` if at least ``FrameHeader/byteCount`` bytes are readable.
    public mutating func readFrameHeader() -> FrameHeader? {
        guard let header = getFrameHeader(at: readerIndex) else { return nil }
        moveReaderIndex(forwardBy: FrameHeader.byteCount)
        return header
    }

    /// Peeks at a ``FrameHeader`` at `index` without moving the reader index.
    public func getFrameHeader(at index: Int) -> FrameHeader? {
        guard let length = getInteger(at: index, endianness: .big, as: UInt32.self),
            let streamID = getInteger(at: index + 4, endianness: .big, as: UInt32.self),
            let type = getInteger(at: index + 8, as: UInt8.self),
            let flags = getInteger(at: index + 9, as: UInt8.self)
        else { return nil }
        return FrameHeader(length: length, streamID: streamID, type: FrameType(rawValue: type), flags: flags)
    }

    /// Writes `header` in wire order and returns the number of bytes written.
    @discardableResult
    public mutating func writeFrameHeader(_ header: FrameHeader) -> Int {
        writeInteger(header.length, endianness: .big)
            + writeInteger(header.streamID, endianness: .big)
            + writeInteger(header.type.rawValue)
            + writeInteger(header.flags)
    }
}
