import ShimAPI
import SwiftProtobuf

/// Events leave the shim through this one bounded, ordered queue: RPC handlers enqueue and return
/// at once, a single worker forwards in order (so an exit never overtakes its start), retries a
/// failed forward with back-off, and drops the oldest event rather than blocking when containerd
/// is away for long.
public actor EventPublisher {
    public typealias Forward = @Sendable (Containerd_Services_Events_Ttrpc_V1_Envelope) async throws -> Void

    public struct Policy: Sendable {
        public var capacity = 2048
        public var attempts = 5
        public var backoff: Duration = .milliseconds(200)

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
    /// Events dropped because the queue was full or every attempt failed.
    public private(set) var dropped = 0
    public private(set) var forwarded = 0

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
            head += 1
            dropped += 1
            log.warning("event queue full, dropped the oldest event")
        }
        queue.append(envelope)
        if worker == nil { worker = Task { await self.drain() } }
    }

    /// Returns when everything queued so far was forwarded or given up on (used before exiting).
    public func flush() async {
        guard worker != nil else { return }
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

    private func deliver(_ envelope: Containerd_Services_Events_Ttrpc_V1_Envelope) async {
        for attempt in 1...policy.attempts {
            do {
                try await forward(envelope)
                forwarded += 1
                return
            } catch {
                log.warning(
                    "forwarding event failed",
                    [("topic", envelope.topic), ("attempt", "\(attempt)"), ("error", "\(error)")])
                if attempt < policy.attempts { try? await Task.sleep(for: policy.backoff * attempt) }
            }
        }
        dropped += 1
        log.error("event dropped after retries", [("topic", envelope.topic)])
    }

}
