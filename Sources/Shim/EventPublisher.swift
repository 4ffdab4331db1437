import ShimAPI
import SwiftProtobuf
import TTRPC

/// Events leave the shim through this one bounded, ordered queue: RPC handlers enqueue and return
/// at once, a single worker forwards in order (so an exit never overtakes its start) and retries a
/// failed forward with capped back-off for as long as the shim runs, so an exit that happens while
/// containerd restarts reaches the new containerd. Only a full queue drops (the oldest event), an
/// event containerd itself refuses (``Policy/refusedAttempts`` times, so one bad event cannot stall
/// the queue), and ``flush()`` at shutdown after ``Policy/flushDeadline``.
public actor EventPublisher {
    public typealias Forward = @Sendable (Containerd_Services_Events_Ttrpc_V1_Envelope) async throws -> Void

    public struct Policy: Sendable {
        public var capacity = 2048
        /// The first retry's delay; it doubles per failed attempt up to ``maxBackoff``.
        public var backoff: Duration = .milliseconds(100)
        public var maxBackoff: Duration = .seconds(1)
        /// How long ``EventPublisher/flush()`` keeps retrying before it drops what is left.
        public var flushDeadline: Duration = .seconds(5)
        /// Attempts for an event containerd answered with a refusal (InvalidArgument, NotFound, ...), not a
        /// transport failure.
        public var refusedAttempts = 3

        public init() {}
    }

    private let forward: Forward
    private let namespace: String
    private let policy: Policy
    private let log: ShimLog
    private var queue: [Containerd_Services_Events_Ttrpc_V1_Envelope] = []
    private var head = 0
    private var worker: Task<Void, Never>?
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// Set by ``flush()``: retries stop at this instant.
    private var giveUpAt: ContinuousClock.Instant?
    /// Events dropped because the queue was full or the flush deadline passed.
    public private(set) var dropped = 0
    public private(set) var forwarded = 0
    /// Failed forward attempts (each one retried).
    public private(set) var failedAttempts = 0

    public init(namespace: String, policy: Policy = Policy(), log: ShimLog, forward: @escaping Forward) {
        self.namespace = namespace
        self.policy = policy
        self.log = log
        self.forward = forward
    }

    /// Queues `event` under its topic; never waits for containerd.
    public func publish<Event: ContainerdEvent>(_ event: Event) {
        guard let envelope = try? EventsForwarder.envelope(for: event, namespace: namespace) else {
            log.error("cannot encode event", [("topic", Event.topic)])
            return
        }
        if queue.count - head >= policy.capacity {
            log.warning("event queue full, dropped the oldest event", [("topic", queue[head].topic)])
            head += 1
            dropped += 1
        }
        queue.append(envelope)
        if worker == nil { worker = Task { await self.drain() } }
    }

    /// Returns when everything queued so far was forwarded, or when ``Policy/flushDeadline`` has passed
    /// (used before exiting; what could not be forwarded by then is dropped and logged).
    public func flush() async {
        guard worker != nil else { return }
        if giveUpAt == nil { giveUpAt = .now + policy.flushDeadline }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    private func drain() async {
        while head < queue.count {
            let envelope = queue[head]
            head += 1
            if head > 1024 && head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            await deliver(envelope)
        }
        queue.removeAll(keepingCapacity: true)
        head = 0
        worker = nil
        let waiters = idleWaiters
        idleWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    /// An answer from containerd that a retry cannot change; anything else (no connection, a timeout) is
    /// retried until containerd is back.
    static func isRefusal(_ error: any Error) -> Bool {
        guard let error = error as? TTRPCError else { return false }
        switch error.code {
        case .invalidArgument, .notFound, .alreadyExists, .permissionDenied, .failedPrecondition, .outOfRange,
            .unimplemented, .unauthenticated:
            return true
        default:
            return false
        }
    }

    private func deliver(_ envelope: Containerd_Services_Events_Ttrpc_V1_Envelope) async {
        var delay = policy.backoff
        var attempt = 0
        var refusals = 0
        while true {
            attempt += 1
            do {
                try await forward(envelope)
                forwarded += 1
                log.debug("event forwarded", [("topic", envelope.topic)])  // the phase breakdown's exit → TaskExit
                if attempt > 1 {
                    log.info("forwarding events again", [("topic", envelope.topic), ("attempts", "\(attempt)")])
                }
                return
            } catch {
                failedAttempts += 1
                if Self.isRefusal(error) {
                    refusals += 1
                    if refusals >= policy.refusedAttempts {
                        dropped += 1
                        log.error("containerd refused the event", [("topic", envelope.topic), ("error", "\(error)")])
                        return
                    }
                } else if attempt == 1 {
                    // One warning per outage, not one per retry: containerd may be away for a while.
                    log.warning(
                        "forwarding event failed, retrying until containerd answers",
                        [("topic", envelope.topic), ("error", "\(error)")])
                }
            }
            if let giveUpAt, ContinuousClock.now >= giveUpAt {
                dropped += 1
                log.error("event dropped at shutdown", [("topic", envelope.topic), ("attempts", "\(attempt)")])
                return
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, policy.maxBackoff)
        }
    }
}
