import Glibc

/// A set of signals, and the calls that route them to a descriptor instead of handlers.
///
/// The shim blocks the signals it handles in its first thread, before any other exists (the mask is
/// inherited), and reads them from a signalfd on its event loop: no handler runs asynchronously and no
/// thread sits in `sigwaitinfo`.
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

    /// A non-blocking, close-on-exec signalfd for the set. A signal is read from it only while it is blocked
    /// in every thread (else it is delivered to a thread that does not block it), and pending signals of one
    /// number coalesce: a read says "at least one", never how many.
    public func descriptor() throws(SystemCallError) -> Int32 {
        guard let signalfd = Self.signalfd else { throw SystemCallError(call: "signalfd", errno: ENOSYS) }
        var set = sigset
        let fd = signalfd(-1, &set, O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw SystemCallError(call: "signalfd", errno: errno) }
        return fd
    }

    /// Size of one `struct signalfd_siginfo`; reads from a signalfd come in multiples of it.
    public static let signalInfoSize = 128

    /// The signal numbers in bytes read from a signalfd (`ssi_signo` leads each record).
    public static func signals(inSignalInfo bytes: some Collection<UInt8>) -> [Int32] {
        let records = Array(bytes)
        return records.withUnsafeBytes { raw in
            stride(from: 0, to: raw.count - signalInfoSize + 1, by: signalInfoSize).map {
                Int32(bitPattern: raw.loadUnaligned(fromByteOffset: $0, as: UInt32.self))
            }
        }
    }

    typealias SignalFD = @convention(c) (Int32, UnsafePointer<sigset_t>?, Int32) -> Int32

    /// `signalfd(2)`, which the Glibc module does not import (present in every glibc since 2.8).
    static let signalfd: SignalFD? = dlsym(nil, "signalfd").map { unsafeBitCast($0, to: SignalFD.self) }
}
