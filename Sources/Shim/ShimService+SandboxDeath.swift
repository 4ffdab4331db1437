extension ShimService {
    /// An app container whose `runsc wait` failed because its pod's sandbox process died (killed from outside,
    /// OOM-killed) shares the sandbox's fate: its status is the sandbox's signal status (137 after SIGKILL)
    /// instead of runsc's internal 128. Nil when the sandbox is not served here, still runs after 2 s, or
    /// ended without a signal.
    func sandboxDeathStatus(of container: Container) async -> Int32? {
        guard let sandbox = container.sandbox else { return nil }
        // The reaper records the sandbox's exit within milliseconds; runsc wait may fail first.
        for _ in 0..<100 {
            let process = await sandbox.process
            if process.status == .stopped {
                return process.exitStatus > 128 ? Int32(process.exitStatus) : nil
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}
