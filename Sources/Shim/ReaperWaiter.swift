import HostOS
import NIOCore
import Runsc

/// Plugs the shim's reaper into the runsc driver: runsc children are waited for through the reaper's
/// SIGCHLD handling, and their capture pipes are read on the same event loop, instead of threads.
struct ReaperWaiter: ChildWaiter {
    let reaper: Reaper

    func watch(spawn: () throws -> Int32) throws -> WatchedChild {
        // The reaper keeps exits nobody asked for yet, so a child that exits straight after the
        // fork is not lost between spawn and wait.
        let pid = try spawn()
        let reaper = self.reaper
        return WatchedChild(pid: pid) { WaitStatus(rawValue: await reaper.wait(for: pid)) }
    }

    /// On the reaper's loop once it runs; before that (unit tests of the service) the driver's blocking path.
    func capture(_ fd: Int32) -> OutputCapture {
        guard let eventLoop = reaper.eventLoop else { return ThreadWaiter().capture(fd) }
        return LoopOutputCapture.start(fd, on: eventLoop)
    }
}
