/// client-go's work queue semantics: a key is queued at most once, never handed to two workers at the same time
/// (a key added while being processed is queued again when it is done), and failures are retried after a per-key
/// exponential backoff (5 ms doubling up to 1000 s, like controller-runtime's default).
public actor WorkQueue {
    private var queue: [String] = []
    private var head = 0
    private var dirty: Set<String> = []
    private var processing: Set<String> = []
    private var failures: [String: Int] = [:]
    private var waiters: [CheckedContinuation<String?, Never>] = []
    private var shuttingDown = false
    public let baseDelay: Duration
    public let maxDelay: Duration
    public private(set) var adds = 0
    public private(set) var retries = 0

    public init(baseDelay: Duration = .milliseconds(5), maxDelay: Duration = .seconds(1000)) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Keys waiting (not counting those being processed).
    public var depth: Int { queue.count - head }

    public func add(_ key: String) {
        guard !shuttingDown, !dirty.contains(key) else { return }
        adds += 1
        dirty.insert(key)
        guard !processing.contains(key) else { return }
        if !waiters.isEmpty {
            dirty.remove(key)
            processing.insert(key)
            waiters.removeFirst().resume(returning: key)
        } else {
            queue.append(key)
        }
    }

    /// Adds the key after its backoff; each call without ``forget(_:)`` doubles the next delay.
    public func addRateLimited(_ key: String) {
        let delay = backoff(for: key)
        retries += 1
        failures[key, default: 0] += 1
        addAfter(key, delay: delay)
    }

    public func addAfter(_ key: String, delay: Duration) {
        Task {
            try? await Task.sleep(for: delay)
            self.add(key)
        }
    }

    /// The delay the next ``addRateLimited(_:)`` of this key will wait.
    public func backoff(for key: String) -> Duration {
        let exponent = min(failures[key] ?? 0, 40)
        let delay = baseDelay * (1 << exponent)
        return min(delay, maxDelay)
    }

    /// Success: the key's backoff starts over.
    public func forget(_ key: String) {
        failures[key] = nil
    }

    /// The next key, waiting for one; nil after ``shutdown()``. Call ``done(_:)`` when finished with it.
    public func next() async -> String? {
        if head < queue.count {
            let key = queue[head]
            head += 1
            if head > 1024, head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            dirty.remove(key)
            processing.insert(key)
            return key
        }
        if shuttingDown { return nil }
        return await withCheckedContinuation { waiters.append($0) }
    }

    public func done(_ key: String) {
        processing.remove(key)
        if dirty.contains(key) {
            dirty.remove(key)
            add(key)
        }
    }

    /// Wakes every waiting worker with nil; later adds are ignored.
    public func shutdown() {
        shuttingDown = true
        for waiter in waiters { waiter.resume(returning: nil) }
        waiters.removeAll()
    }
}
