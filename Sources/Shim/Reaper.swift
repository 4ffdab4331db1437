import CShim
import Glibc
import HostOS
import NIOCore
import NIOPosix
import Synchronization

/// The one place in the shim that calls `waitpid`. The shim is a child subreaper: runsc's sandbox
/// and gofer processes are re-parented to it, and every process it spawns is reaped here, so no
/// other code may wait for children itself. Exits that arrive before anyone asks for them are kept
/// (bounded), which makes "spawn, then wait" race-free even for processes that exit at once.
///
/// Reaping is driven by SIGCHLD on the shim's event loop (``start(on:)``, through ``SignalNotifier``): no thread
/// of its own and no polling. SIGCHLDs coalesce, so each wake-up reaps every exited child (`WNOHANG` until none).
public final class Reaper: Sendable {
    public static let shared = Reaper()

    private struct State: ~Copyable {
        var waiters: [pid_t: [CheckedContinuation<Int32, Never>]] = [:]
        var unclaimed: [pid_t: Int32] = [:]
        var unclaimedOrder: [pid_t] = []
        var signalHandlers: [Int32: @Sendable () -> Void] = [:]
        var eventLoop: (any EventLoop)?
        var channel: (any Channel)?
    }

    private let state = Mutex(State())
    /// How many unclaimed exits are kept; orphans re-parented to the shim are never claimed.
    private let unclaimedLimit = 4096
    /// `waitpid`'s first argument: -1 (every child) in the shim, -pgid to reap only one process group.
    private let scope: pid_t

    /// A reaper of every child of this process, or, given `processGroup`, only of that group's members (so a
    /// test can reap for real next to other code that waits for its own children).
    init(processGroup: pid_t? = nil) {
        scope = processGroup.map { -$0 } ?? -1
    }

    /// Marks the process as a child subreaper (PR_SET_CHILD_SUBREAPER).
    public static func becomeSubreaper() throws(SystemError) {
        guard cshim_set_child_subreaper() == 0 else {
            throw SystemError(operation: "prctl(PR_SET_CHILD_SUBREAPER)", errno: errno)
        }
    }

    /// Signals the reaper handles. `blockSignals()` blocks them first thing in `main`, before any other thread
    /// exists, so they never interrupt other threads; ``start(on:)`` unblocks them on the event loop's thread
    /// (in the daemon the main thread, its only one: ShimRunLoop.swift), which therefore always can take them.
    /// SIGUSR1 is handled only so that its default action (termination) never applies.
    static let handledSignals = SignalSet([SIGCHLD, SIGTERM, SIGINT, SIGUSR1])

    /// Blocks the handled signals in the calling thread (inherited by threads created later) and
    /// ignores SIGPIPE, so a closed FIFO or socket is an error return, not the shim's death.
    public static func blockSignals() {
        handledSignals.block()
        signal(SIGPIPE, SIG_IGN)
    }

    /// Runs `handler` on the event loop when `signal` (SIGTERM, SIGINT or SIGUSR1) arrives.
    public func onSignal(_ signal: Int32, _ handler: @escaping @Sendable () -> Void) {
        state.withLock { $0.signalHandlers[signal] = handler }
    }

    /// The loop ``start(on:)`` attached to; the shim reads its children's capture pipes there too.
    var eventLoop: (any EventLoop)? { state.withLock { $0.eventLoop } }

    /// Starts reaping on `eventLoop`: the signal notifier's descriptor becomes a NIO pipe channel there. Children
    /// that exited earlier are reaped right after (their SIGCHLD stayed pending while blocked).
    public func start(on eventLoop: any EventLoop) async throws {
        let fd = try SignalNotifier.install(Reaper.handledSignals)
        let channel: any Channel
        do {
            channel = try await NIOPipeBootstrap(group: eventLoop)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 64))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(SignalHandler(reaper: self))
                    }
                }
                .takingOwnershipOfDescriptor(input: fd).get()
        } catch {
            SignalNotifier.uninstall(Reaper.handledSignals)
            close(fd)
            throw error
        }
        state.withLock {
            $0.eventLoop = eventLoop
            $0.channel = channel
        }
        try await eventLoop.submit {
            Reaper.handledSignals.unblock()
            self.handle(signals: [SIGCHLD] + SignalNotifier.takePending())
        }.get()
    }

    /// Stops handling signals (shutdown; they get their default actions back) and reaps whatever has exited.
    public func stop() async {
        let channel = state.withLock { state -> (any Channel)? in
            defer { state.channel = nil }
            return state.channel
        }
        guard let channel else { return }
        try? await channel.eventLoop.submit { Reaper.handledSignals.block() }.get()
        SignalNotifier.uninstall(Reaper.handledSignals)
        try? await channel.close()
        reapAll()
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
            let pid = waitpid(scope, &status, WNOHANG)
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

    /// The signals taken in one go: one reap pass however many SIGCHLDs, then the other handlers.
    fileprivate func handle(signals: [Int32]) {
        if signals.contains(SIGCHLD) { reapAll() }
        for signal in signals where signal != SIGCHLD {
            state.withLock { $0.signalHandlers[signal] }?()
        }
    }
}

/// Wakes on the notifier's descriptor and hands the signals recorded since to the reaper.
private final class SignalHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let reaper: Reaper

    init(reaper: Reaper) { self.reaper = reaper }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func channelReadComplete(context: ChannelHandlerContext) {
        reaper.handle(signals: SignalNotifier.takePending())
    }
}
