import NIOCore

/// Runs Swift tasks on a NIO event loop, so handlers that mostly await I/O skip two thread hops per call.
///
/// Only for handlers that never block: while one runs, its event loop serves no other connection.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
