import NIOCore
import NIOPosix
import Synchronization
import TTRPC
import Testing

@testable import Shim

/// The daemon trims its heap once after a burst of calls, not once per call, and keeps the trace observer working.
struct HeapTrimmerTests {
    private static let context = TTRPCRequestContext(service: "containerd.task.v2.Task", method: "State", streamID: 1)

    @Test func aBurstOfCallsTrimsOnceAfterTheQuietPeriod() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let trims = Mutex(0)
        let trimmer = HeapTrimmer(eventLoop: group.next(), quietPeriod: .milliseconds(50)) {
            trims.withLock { $0 += 1 }
        }
        for _ in 0..<20 { trimmer.callFinished() }
        #expect(trims.withLock { $0 } == 0)
        try await Task.sleep(for: .milliseconds(400))
        #expect(trims.withLock { $0 } == 1)
        trimmer.callFinished()
        try await Task.sleep(for: .milliseconds(400))
        #expect(trims.withLock { $0 } == 2)
        try await group.shutdownGracefully()
    }

    @Test func theChainedObserverStillSeesEveryCall() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let seen = Mutex<[String]>([])
        let trace = TTRPCCallObserver(
            received: { call in seen.withLock { $0.append("received \(call.method)") } },
            replied: { call, _ in seen.withLock { $0.append("replied \(call.method)") } })
        let trims = Mutex(0)
        let observer = HeapTrimmer(eventLoop: group.next(), quietPeriod: .milliseconds(10)) {
            trims.withLock { $0 += 1 }
        }.observer(chainedTo: trace)
        observer.received(Self.context)
        observer.replied(Self.context, .milliseconds(1))
        try await Task.sleep(for: .milliseconds(300))
        #expect(seen.withLock { $0 } == ["received State", "replied State"])
        #expect(trims.withLock { $0 } == 1)
        try await group.shutdownGracefully()
    }
}
