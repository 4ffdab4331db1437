import CShim
import Glibc
import Synchronization

/// A set of signals.
public struct SignalSet: Sendable, Hashable {
    public var signals: [Int32]

    public init(_ signals: [Int32]) { self.signals = signals }

    var sigset: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        return set
    }

    /// Blocks the signals in the calling thread; threads created afterwards inherit the mask.
    public func block() {
        var set = sigset
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Unblocks the signals in the calling thread.
    public func unblock() {
        var set = sigset
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }
}

/// Turns signals into a readable descriptor for an event loop: the self-pipe pattern, with an eventfd.
///
/// The handler only records the signal in a bit mask and bumps an eventfd (both async-signal-safe); the
/// loop reads the descriptor and takes the recorded signals with ``takePending()``. Signals of one number
/// coalesce, so a delivery means "at least one".
///
/// Why not a signalfd: it sees a signal only while every thread blocks it, and a Swift program with an async
/// `main` (the test runners, a daemon without the shim's `ShimRunLoop`) cannot promise that. Its main thread
/// ends in libdispatch's `dispatch_main`, which parks it in `sigsuspend` with an empty mask, so a
/// process-directed SIGCHLD goes to that thread and, ignored by default, is discarded before a signalfd can
/// read it. A handler runs wherever the kernel delivers.
public enum SignalNotifier {
    private static let descriptor = Atomic<Int32>(-1)
    private static let pending = Atomic<UInt64>(0)

    /// Installs the handlers for `set` and returns the descriptor that becomes readable when one arrived (the
    /// caller reads and discards its 8-byte counter). One notifier per process; `SA_RESTART` keeps the
    /// threads a signal interrupts from seeing `EINTR` where the call can be restarted.
    public static func install(_ set: SignalSet) throws(SystemError) -> Int32 {
        let fd = cshim_eventfd()
        guard fd >= 0 else { throw SystemError(operation: "eventfd", errno: errno) }
        descriptor.store(fd, ordering: .sequentiallyConsistent)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            let saved = errno
            SignalNotifier.pending.bitwiseOr(UInt64(1) << UInt64(signal & 63), ordering: .sequentiallyConsistent)
            var one: UInt64 = 1
            _ = write(SignalNotifier.descriptor.load(ordering: .sequentiallyConsistent), &one, 8)
            errno = saved
        }
        action.sa_flags = SA_RESTART | SA_NOCLDSTOP
        sigfillset(&action.sa_mask)
        for signal in set.signals {
            guard sigaction(signal, &action, nil) == 0 else {
                throw SystemError(operation: "sigaction(\(signal))", errno: errno)
            }
        }
        return fd
    }

    /// Restores the default actions for `set`; the descriptor is the caller's to close.
    public static func uninstall(_ set: SignalSet) {
        for signal in set.signals { Glibc.signal(signal, SIG_DFL) }
    }

    /// The signals delivered since the last call, in ascending order.
    public static func takePending() -> [Int32] {
        let bits = pending.exchange(0, ordering: .sequentiallyConsistent)
        return (1..<64).filter { bits & (UInt64(1) << UInt64($0)) != 0 }.map(Int32.init)
    }
}
