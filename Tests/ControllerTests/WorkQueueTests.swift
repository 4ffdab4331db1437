import Controller
import Testing

@Suite(.timeLimit(.minutes(2))) struct WorkQueueTests {
    @Test func aKeyIsQueuedOnceAndNeverProcessedTwiceAtATime() async {
        let queue = WorkQueue()
        await queue.add("a")
        await queue.add("b")
        await queue.add("a")
        #expect(await queue.depth == 2)
        let first = await queue.next()
        #expect(first == "a")
        // Added again while processing: held back until done.
        await queue.add("a")
        #expect(await queue.next() == "b")
        #expect(await queue.depth == 0)
        await queue.done("a")
        #expect(await queue.depth == 1)
        #expect(await queue.next() == "a")
        await queue.done("a")
        await queue.done("b")
        #expect(await queue.depth == 0)
    }

    @Test func backoffDoublesPerFailureAndForgetResetsIt() async {
        let queue = WorkQueue(baseDelay: .milliseconds(5), maxDelay: .milliseconds(40))
        #expect(await queue.backoff(for: "k") == .milliseconds(5))
        await queue.addRateLimited("k")
        #expect(await queue.backoff(for: "k") == .milliseconds(10))
        await queue.addRateLimited("k")
        await queue.addRateLimited("k")
        #expect(await queue.backoff(for: "k") == .milliseconds(40))
        await queue.addRateLimited("k")
        #expect(await queue.backoff(for: "k") == .milliseconds(40))  // capped
        #expect(await queue.backoff(for: "other") == .milliseconds(5))
        await queue.forget("k")
        #expect(await queue.backoff(for: "k") == .milliseconds(5))
        #expect(await queue.retries == 4)
        // The delayed adds arrive (deduplicated into one).
        #expect(await queue.next() == "k")
    }

    @Test func waitingWorkersGetNewKeysAndShutdownReleasesThem() async {
        let queue = WorkQueue()
        let waiter = Task { await queue.next() }
        try? await Task.sleep(for: .milliseconds(20))
        await queue.add("x")
        #expect(await waiter.value == "x")
        let idle = Task { await queue.next() }
        try? await Task.sleep(for: .milliseconds(20))
        await queue.shutdown()
        #expect(await idle.value == nil)
        await queue.add("y")
        #expect(await queue.next() == nil)
    }
}
