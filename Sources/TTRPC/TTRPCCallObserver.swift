import Synchronization

/// Sees each call a server runs at its edge: when the request arrived and when its answer was written, for timing
/// traces (the shim logs them at debug level for its phase breakdown). TTRPC itself logs nothing; whoever installs
/// an observer decides where the lines go.
public struct TTRPCCallObserver: Sendable {
    /// The request was decoded and its handler is about to run.
    public var received: @Sendable (TTRPCRequestContext) -> Void
    /// The answer (a result or an error status) is being written; `duration` counts from `received`.
    public var replied: @Sendable (TTRPCRequestContext, Duration) -> Void

    public init(
        received: @escaping @Sendable (TTRPCRequestContext) -> Void,
        replied: @escaping @Sendable (TTRPCRequestContext, Duration) -> Void
    ) {
        self.received = received
        self.replied = replied
    }

    private static let process = Mutex<TTRPCCallObserver?>(nil)

    /// The observer servers use when their configuration names none: a program installs it once at start-up instead
    /// of threading it through every place that configures a server.
    public static var processDefault: TTRPCCallObserver? {
        get { process.withLock { $0 } }
        set { process.withLock { $0 = newValue } }
    }
}
