import Glibc
import HostOS

/// Reaps each child with a blocking `waitpid(pid)` on a thread of its own, so no Swift concurrency thread
/// ever blocks.
///
/// Only for processes where nobody else calls `waitpid(-1)` (tests, tools such as gvisor-node's doctor). A
/// thread costs little while the child lives; the shim, which reaps as a subreaper on its event loop, plugs its
/// own ``ChildWaiter`` in instead.
public struct ThreadWaiter: ChildWaiter {
    public init() {}

    public func watch(spawn: () throws -> Int32) throws -> WatchedChild {
        let pid = try spawn()
        let job = WaitJob(pid: pid)
        let created = POSIX.detachedThread { job.run() }
        if created != 0 {
            // Without a thread there is no way to wait; do not leave an unreaped child behind.
            _ = kill(pid, SIGKILL)
            job.run()
            throw ChildWaitError(pid: pid, errno: created)
        }
        return WatchedChild(pid: pid) { try await job.result.value.get() }
    }
}

private final class WaitJob: Sendable {
    let pid: Int32
    let result = OneShot<Result<ProcessExitStatus, ChildWaitError>>()

    init(pid: Int32) {
        self.pid = pid
    }

    func run() {
        do {
            result.fulfil(.success(try WaitStatus.wait(for: pid)))
        } catch {
            result.fulfil(.failure(ChildWaitError(pid: pid, errno: error.errno)))
        }
    }
}
