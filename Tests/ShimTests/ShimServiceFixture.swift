import NIOPosix

@testable import Shim

/// Runs `body` with a ShimService of namespace "test" on its own one-thread event loop, events dropped, logs quiet.
func withService(_ body: (ShimService) async throws -> Void) async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let log = ShimLog(minimumLevel: .error, fd: -1)
    let service = ShimService(
        settings: .init(namespace: "test"), eventLoop: group.next(), reaper: Reaper(),
        publisher: EventPublisher(namespace: "test", log: log) { _ in }, log: log, onIdleShutdown: {})
    try await body(service)
    try await group.shutdownGracefully()
}
