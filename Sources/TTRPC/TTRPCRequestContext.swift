/// What a handler knows about the call it serves besides the request message.
public struct TTRPCRequestContext: Sendable {
    /// Fully qualified service name, e.g. `containerd.task.v2.Task`.
    public var service: String
    /// Bare method name, e.g. `Create`.
    public var method: String
    public var streamID: UInt32
    /// Metadata as sent by the client; containerd puts its namespace here.
    public var metadata: TTRPCMetadata
    /// The client's `timeout_nano`; nil when it sent none (0).
    public var timeout: Duration?
    /// When the call times out, measured from the request's arrival. The server also cancels the handler's task at
    /// that point; a handler that then throws `CancellationError` answers `DeadlineExceeded`.
    public var deadline: ContinuousClock.Instant?

    public init(
        service: String, method: String, streamID: UInt32 = 1, metadata: TTRPCMetadata = TTRPCMetadata(),
        timeout: Duration? = nil, receivedAt: ContinuousClock.Instant = .now
    ) {
        self.service = service
        self.method = method
        self.streamID = streamID
        self.metadata = metadata
        self.timeout = timeout
        self.deadline = timeout.map { receivedAt + $0 }
    }

    /// The first metadata value for `key` (case-insensitive).
    public func metadata(_ key: String) -> String? {
        metadata[key]
    }

    /// Whether the deadline has passed.
    public var isPastDeadline: Bool {
        deadline.map { ContinuousClock.now >= $0 } ?? false
    }
}
