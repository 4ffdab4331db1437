import NIOPosix

/// Event loop groups sized for ttrpc.
///
/// A shim serves a handful of calls a minute, so one thread is plenty; NIO's `.singleton` would start one thread per
/// core in every shim process.
public enum TTRPCEventLoopGroup {
    /// A new group the caller owns and must shut down (`shutdownGracefully()`).
    public static func make(numberOfThreads: Int = 1) -> MultiThreadedEventLoopGroup {
        MultiThreadedEventLoopGroup(numberOfThreads: numberOfThreads)
    }
}
