import CShim
import NIOCore
import Synchronization
import TTRPC

/// Hands the heap's free pages back to the kernel once the daemon goes quiet after its calls.
///
/// glibc returns memory on its own only from the top of the heap, and only after a free of 64 KiB or more; the
/// temporaries of a Create (the decoded spec, runsc's output, the replies) otherwise stay resident in every idle
/// shim as ~100 KiB of free pages (measured, issue 19). `malloc_trim` walks one small arena: microseconds, once per
/// quiet period.
final class HeapTrimmer: Sendable {
    /// How long after a call's answer the heap is trimmed; each call pushes it back, so a burst trims once.
    static let quietPeriod: TimeAmount = .milliseconds(100)

    private let eventLoop: any EventLoop
    private let quietPeriod: TimeAmount
    private let trim: @Sendable () -> Void
    private let pending = Mutex<Scheduled<Void>?>(nil)

    /// `trim` is glibc's `malloc_trim(0)` unless a test counts the calls.
    init(
        eventLoop: any EventLoop, quietPeriod: TimeAmount = HeapTrimmer.quietPeriod,
        trim: @escaping @Sendable () -> Void = { _ = cshim_trim_malloc() }
    ) {
        self.eventLoop = eventLoop
        self.quietPeriod = quietPeriod
        self.trim = trim
    }

    /// Schedules the trim `quietPeriod` from now, replacing one already scheduled.
    func callFinished() {
        let next = eventLoop.scheduleTask(in: quietPeriod, trim)
        pending.withLock { scheduled in
            scheduled?.cancel()
            scheduled = next
        }
    }

    /// `other` (the trace observer, if any) with a trim after every answer.
    func observer(chainedTo other: TTRPCCallObserver?) -> TTRPCCallObserver {
        TTRPCCallObserver(
            received: { call in other?.received(call) },
            replied: { call, duration in
                other?.replied(call, duration)
                self.callFinished()
            })
    }
}
