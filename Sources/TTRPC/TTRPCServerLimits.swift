import Synchronization

/// Bounds on what peers can make a ``TTRPCServer`` hold, so one misbehaving client cannot exhaust the memory,
/// descriptors or tasks of the process serving containerd.
///
/// A peer that crosses a bound has its connection closed and the reason (a ``TTRPCLimitError``) passed to
/// ``TTRPCServer/Configuration/connectionErrorHandler``. The defaults fit a shim: containerd keeps one connection
/// per shim and a handful of calls in flight on it (a `Wait` per live process), and sends every frame in one
/// write, so legitimate traffic stays far below each bound.
public struct TTRPCServerLimits: Sendable, Hashable {
    /// Open connections at once; a connection accepted beyond this is closed at once. Go's ttrpc has no bound.
    public var maximumConnections: Int
    /// Calls a connection may have in flight; the request beyond this closes the connection.
    public var maximumInFlightCallsPerConnection: Int
    /// Bytes of frames not yet fully received, all connections together. A connection's share is the whole frame
    /// its header announces (at most ``FrameHeader/maximumPayloadLength`` plus the header, since larger frames are
    /// skipped as they arrive), reserved when the header arrives; a header that does not fit closes the connection.
    public var maximumPartialFrameBytes: Int
    /// How long a frame may take to arrive in full, counted from its first byte; a peer that stops halfway (or
    /// trickles) is closed when it runs out. Also bounds how long an oversized frame may take to be skipped.
    public var partialFrameTimeout: Duration

    /// 32 connections, 256 calls in flight each, four full-size frames arriving at once (16 MiB) and 10 s to finish
    /// a frame.
    public init(
        maximumConnections: Int = 32, maximumInFlightCallsPerConnection: Int = 256,
        maximumPartialFrameBytes: Int = 4 * (FrameHeader.maximumPayloadLength + FrameHeader.byteCount),
        partialFrameTimeout: Duration = .seconds(10)
    ) {
        self.maximumConnections = maximumConnections
        self.maximumInFlightCallsPerConnection = maximumInFlightCallsPerConnection
        self.maximumPartialFrameBytes = maximumPartialFrameBytes
        self.partialFrameTimeout = partialFrameTimeout
    }
}

/// A peer crossed one of the ``TTRPCServerLimits``; its connection was closed.
public enum TTRPCLimitError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A connection arrived while `limit` were open.
    case tooManyConnections(limit: Int)
    /// A request arrived while `limit` calls of its connection were in flight.
    case tooManyInFlightCalls(limit: Int)
    /// A frame of `frameBytes` could not be buffered: the partial frames of all connections hold `heldBytes` of
    /// `limit`.
    case partialFrameBytesExceeded(frameBytes: Int, heldBytes: Int, limit: Int)
    /// A frame was still incomplete `timeout` after its first byte.
    case partialFrameTimedOut(timeout: Duration)

    public var description: String {
        switch self {
        case .tooManyConnections(let limit):
            "ttrpc: connection refused: \(limit) connections are open, the limit"
        case .tooManyInFlightCalls(let limit):
            "ttrpc: connection closed: more than \(limit) calls in flight on it"
        case .partialFrameBytesExceeded(let frameBytes, let heldBytes, let limit):
            "ttrpc: connection closed: a \(frameBytes)-byte frame does not fit in the partial-frame budget "
                + "(\(heldBytes) of \(limit) bytes held by frames still arriving)"
        case .partialFrameTimedOut(let timeout):
            "ttrpc: connection closed: a frame was still incomplete \(timeout) after its first byte"
        }
    }
}

/// A count shared by every connection of one server (connections may live on different event loops), that only
/// grows while it stays within a limit.
final class SharedBudget: Sendable {
    let limit: Int
    private let used = Atomic(0)

    init(limit: Int) {
        self.limit = limit
    }

    var current: Int { used.load(ordering: .relaxed) }

    /// Adds `amount` if the total stays within the limit; returns whether it did.
    func reserve(_ amount: Int) -> Bool {
        var now = used.load(ordering: .relaxed)
        while true {
            guard now + amount <= limit else { return false }
            let (exchanged, original) = used.compareExchange(
                expected: now, desired: now + amount, ordering: .relaxed)
            if exchanged { return true }
            now = original
        }
    }

    func release(_ amount: Int) {
        used.subtract(amount, ordering: .relaxed)
    }
}
