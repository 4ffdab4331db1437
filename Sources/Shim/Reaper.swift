import CShim
import Glibc
import Synchronization

/// The one place in the shim that calls `waitpid`. The shim is a child subreaper: runsc's sandbox
/// and gofer processes are re-parented to it, and every process it spawns is reaped here, so no
/// other code may wait for children itself. Exits that arrive before anyone asks for them are kept
/// (bounded), which makes "spawn, then wait" race-free even for processes that exit at once.
public final class Reaper: Sendable {
    public static let shared = Reaper()

    /// containerd's convention: a normal exit's code, or 128 + the signal number.
    public static func exitStatus(fromWaitStatus status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    private struct State: ~Copyable {
        var waiters: [pid_t: [CheckedContinuation<Int32, Never>]] = [:]
        var unclaimed: [pid_t: Int32] = [:]
        var unclaimedOrder: [pid_t] = []
        var signalHandlers: [Int32: @Sendable () -> Void] = [:]
        var started = false
    }

    private let state = Mutex(State())
    /// How many unclaimed exits are kept; orphans re-parented to the shim are never claimed.
    private let unclaimedLimit = 4096

    init() {}

    /// Marks the process as a child subreaper (PR_SET_CHILD_SUBREAPER).
    public static func becomeSubreaper() throws(SystemError) {
        guard cshim_set_child_subreaper() == 0 else {
            throw SystemError(operation: "prctl(PR_SET_CHILD_SUBREAPER)", errno: errno)
        }
    }

    /// Signals the reaper thread consumes. They must be blocked in every thread, so
    /// `blockSignals()` runs first thing in `main`, before any other thread exists.
    static let handledSignals: [Int32] = [SIGCHLD, SIGTERM, SIGINT, SIGUSR1]

    /// Blocks the handled signals in the calling thread (inherited by threads created later) and
    /// ignores SIGPIPE, so a closed FIFO or socket is an error return, not the shim's death.
    public static func blockSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in handledSignals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    /// Runs `handler` on the reaper thread when `signal` (SIGTERM, SIGINT or SIGUSR1) arrives.
    public func onSignal(_ signal: Int32, _ handler: @escaping @Sendable () -> Void) {
        state.withLock { $0.signalHandlers[signal] = handler }
    }

    /// Starts the reaper thread once.
    public func start() {
        let first = state.withLock { state -> Bool in
            defer { state.started = true }
            return !state.started
        }
        guard first else { return }
        for body in [Reaper.runReapLoop, Reaper.runSignalLoop] {
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, body, nil)
            precondition(rc == 0, "cannot start a reaper thread: errno \(rc)")
            pthread_detach(thread)
        }
    }

    private static let runReapLoop: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? = { _ in
        Reaper.shared.reapLoop()
        return nil
    }

    private static let runSignalLoop: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? = { _ in
        Reaper.shared.signalLoop()
        return nil
    }

    /// Blocks in `waitpid(-1)` so reaping never depends on SIGCHLD reaching the right thread.
    /// With no children at all it naps briefly; spawns made meanwhile are picked up on waking.
    private func reapLoop() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, 0)
            if pid > 0 {
                deliver(pid: pid, status: status)
            } else if errno == ECHILD {
                usleep(20_000)
            }
        }
    }

    /// Waits for `pid`'s raw wait status, however early it exited.
    public func wait(for pid: pid_t) async -> Int32 {
        await withCheckedContinuation { continuation in
            let early: Int32? = state.withLock { state in
                if let status = state.unclaimed.removeValue(forKey: pid) {
                    state.unclaimedOrder.removeAll { $0 == pid }
                    return status
                }
                state.waiters[pid, default: []].append(continuation)
                return nil
            }
            if let early { continuation.resume(returning: early) }
        }
    }

    /// Reaps every exited child now; called on SIGCHLD (and usable directly in tests).
    public func reapAll() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 {
                if pid < 0 && errno == EINTR { continue }
                return
            }
            deliver(pid: pid, status: status)
        }
    }

    func deliver(pid: pid_t, status: Int32) {
        let waiters: [CheckedContinuation<Int32, Never>] = state.withLock { state in
            if let waiters = state.waiters.removeValue(forKey: pid) { return waiters }
            state.unclaimed[pid] = status
            state.unclaimedOrder.append(pid)
            if state.unclaimedOrder.count > unclaimedLimit {
                let dropped = state.unclaimedOrder.removeFirst()
                state.unclaimed.removeValue(forKey: dropped)
            }
            return []
        }
        for waiter in waiters { waiter.resume(returning: status) }
    }

    private func signalLoop() {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in Reaper.handledSignals { sigaddset(&set, signal) }
        while true {
            var info = siginfo_t()
            let signal = sigwaitinfo(&set, &info)
            if signal < 0 { continue }
            if signal == SIGCHLD {
                continue  // the reap loop handles exits
            } else if let handler = state.withLock({ $0.signalHandlers[signal] }) {
                handler()
            }
        }
    }
}

/// A failed system call, with the call and errno's text.
public struct SystemError: Error, CustomStringConvertible, Equatable {
    public let operation: String
    public let errno: Int32

    public init(operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}
