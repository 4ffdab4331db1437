import Runsc

/// Plugs the shim's reaper into the runsc driver: runsc children are waited for through the one
/// `waitpid(-1)` loop instead of a thread per child.
struct ReaperWaiter: ChildWaiter {
    let reaper: Reaper

    func watch(spawn: () throws -> Int32) throws -> WatchedChild {
        // The reaper keeps exits nobody asked for yet, so a child that exits straight after the
        // fork is not lost between spawn and wait.
        let pid = try spawn()
        let reaper = self.reaper
        return WatchedChild(pid: pid) { ProcessExitStatus(waitStatus: await reaper.wait(for: pid)) }
    }
}
