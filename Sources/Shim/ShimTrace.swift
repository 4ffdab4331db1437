import Glibc
import Runsc
import TTRPC

/// Debug-level timing lines for the start-up phase breakdown (`make bench`, scripts/bench-phases.py): the `start`
/// action's entry and answer, the daemon's entry and exit, each ttrpc call's arrival and answer, and each runsc
/// invocation with its duration. containerd copies the lines into its own log, where its events sit beside them.
/// Nothing is traced unless containerd runs the shim with `-debug`.
enum ShimTrace {
    /// The `start` action's log: containerd reads its stdout and stderr as the answer, so the lines go to the
    /// bundle's `log` FIFO, which containerd opened for reading before it ran `start`. Nil when not debugging or
    /// when there is no reader.
    static func startLog(flags: ShimFlags) -> (log: ShimLog, fd: CInt)? {
        guard flags.debug else { return nil }
        let fd = open("log", O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        return (ShimLog(minimumLevel: .debug, fields: [("id", flags.id), ("namespace", flags.namespace)], fd: fd), fd)
    }

    /// The daemon's trace log on stderr (already the `log` FIFO); nil when not debugging. Installs the runsc and
    /// ttrpc observers that write to it.
    static func daemonLog(flags: ShimFlags) -> ShimLog? {
        guard flags.debug else { return nil }
        let log = ShimLog(minimumLevel: .debug, fields: [("id", flags.id), ("namespace", flags.namespace)])
        RunscClient.observeInvocations { command, duration, status in
            log.debug(
                "runsc finished",
                [
                    ("subcommand", command.subcommand), ("container", command.containerID ?? ""),
                    ("duration_ms", milliseconds(duration)), ("status", "\(status)"),
                ])
        }
        TTRPCCallObserver.processDefault = TTRPCCallObserver(
            received: { call in log.debug("rpc received", [("method", call.method), ("stream", "\(call.streamID)")]) },
            replied: { call, duration in
                log.debug(
                    "rpc replied",
                    [("method", call.method), ("stream", "\(call.streamID)"), ("duration_ms", milliseconds(duration))])
            })
        return log
    }

    /// `duration` in milliseconds with three decimals.
    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        let fraction = String(micros % 1000)
        return "\(micros / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
