import NIOCore

/// Incremental ttrpc frame parser, independent of any channel so fuzzers and tests can drive it directly.
///
/// An oversized frame is reported as soon as its header arrives and its body is then skipped as it streams in, so
/// a peer can never make us buffer more than ``FrameHeader/maximumPayloadLength`` bytes.
public struct FrameParser: Sendable {
    /// What the parser found in the input.
    public enum Element: Hashable, Sendable {
        /// A complete frame.
        case frame(Frame)
        /// A header announcing more than the maximum payload; its body is being discarded.
        case oversized(FrameHeader)
    }

    private enum State: Hashable, Sendable {
        case header
        case skipping(remaining: Int)
    }

    /// The largest payload accepted; larger frames become ``Element/oversized(_:)``.
    public let maximumPayloadLength: Int
    private var state = State.header

    public init(maximumPayloadLength: Int = FrameHeader.maximumPayloadLength) {
        precondition(maximumPayloadLength >= 0 && maximumPayloadLength < 1 << 24, "payload limit must fit in 24 bits")
        self.maximumPayloadLength = maximumPayloadLength
    }

    /// Whether the parser is between frames (nothing partially consumed).
    public var isAtFrameBoundary: Bool { state == .header }

    /// Consumes bytes from `buffer` and returns the next element, or nil when more input is needed.
    ///
    /// - Throws: ``FrameError/malformedHeader(_:)`` when the reserved length byte is set.
    public mutating func next(from buffer: inout ByteBuffer) throws(FrameError) -> Element? {
        while true {
            switch state {
            case .skipping(let remaining):
                let skipped = min(remaining, buffer.readableBytes)
                buffer.moveReaderIndex(forwardBy: skipped)
                if skipped < remaining {
                    state = .skipping(remaining: remaining - skipped)
                    return nil
                }
                state = .header
            case .header:
                guard let header = buffer.getFrameHeader(at: buffer.readerIndex) else { return nil }
                guard header.length >> 24 == 0 else { throw .malformedHeader(header) }
                let length = Int(header.length)
                if length > maximumPayloadLength {
                    buffer.moveReaderIndex(forwardBy: FrameHeader.byteCount)
                    state = .skipping(remaining: length)
                    return .oversized(header)
                }
                guard buffer.readableBytes >= FrameHeader.byteCount + length else { return nil }
                buffer.moveReaderIndex(forwardBy: FrameHeader.byteCount)
                let payload = buffer.readSlice(length: length)!
                return .frame(
                    Frame(streamID: header.streamID, type: header.type, flags: header.flags, payload: payload))
            }
        }
    }

    /// Checks that the input ended on a frame boundary.
    ///
    /// - Parameter buffer: the bytes left over after the last ``next(from:)`` returned nil.
    /// - Throws: ``FrameError/truncated(bytesMissing:)`` when the input stopped inside a frame.
    public func finish(leftover buffer: ByteBuffer) throws(FrameError) {
        switch state {
        case .skipping(let remaining):
            throw .truncated(bytesMissing: remaining - buffer.readableBytes)
        case .header:
            guard buffer.readableBytes > 0 else { return }
            guard let header = buffer.getFrameHeader(at: buffer.readerIndex) else {
                throw .truncated(bytesMissing: FrameHeader.byteCount - buffer.readableBytes)
            }
            throw .truncated(bytesMissing: FrameHeader.byteCount + Int(header.length) - buffer.readableBytes)
        }
    }
}
