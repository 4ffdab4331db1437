#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension NodeInstaller {
    /// The DaemonSet container's life: install, then re-check every `interval` seconds and repair drift
    /// (someone edited config.toml, gardener-node-agent re-rendered it, a binary vanished) until SIGTERM or
    /// SIGINT. gVisor stays installed when it ends; `uninstall` is a separate, deliberate step.
    ///
    /// The first install's error is thrown (the pod fails visibly); later errors are logged and retried, and a
    /// restart that failed is retried even when no file changes again.
    public func runUntilTerminated(intervalSeconds: Int, log: (String) -> Void) throws(InstallerError) {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let first = try install()
        first.lines.forEach(log)
        log("installed; re-checking every \(intervalSeconds)s until SIGTERM")
        var restartPending = false
        while true {
            var timeout = timespec(tv_sec: intervalSeconds, tv_nsec: 0)
            let received = sigtimedwait(&signals, nil, &timeout)
            if received == SIGTERM || received == SIGINT {
                log("received \(received == SIGTERM ? "SIGTERM" : "SIGINT"); exiting, gVisor stays installed")
                return
            }
            do {
                let report = try install()
                if !report.changes.isEmpty {
                    log("drift repaired:")
                    report.lines.forEach { log("  " + $0) }
                    restartPending = false
                } else if restartPending {
                    try restartContainerd()
                    log("containerd restarted (retry)")
                    restartPending = false
                }
            } catch {
                if case .restartFailed = error { restartPending = true }
                log("error: \(error)")
            }
        }
    }
}
