import CShim
import Glibc
import NIOCore
import NIOPosix

/// The shim's one thread: the main thread becomes the NIO event loop, and Swift concurrency's global and main
/// executors run their jobs on it too.
///
/// A shim runs per pod and is idle almost always, so threads are memory: each one that ever ran keeps its stack's
/// touched pages and its share of libdispatch's state. With the stock executor an idle daemon had three threads
/// (main parked in `dispatch_main`, libdispatch's timer thread, the event loop) and the cached stacks of the worker
/// threads tasks had run on (issue 19). Here every task, actor and ttrpc handler runs on the loop, as gVisor's Go
/// shim serves from a few goroutines; nothing the shim does blocks a thread for long (runsc is awaited through
/// its pipes and SIGCHLD, Reaper.swift).
public enum ShimRunLoop {
    /// The loop the executor hooks enqueue on; set once, before the hooks are installed.
    nonisolated(unsafe) private static var loop: (any EventLoop)?

    /// Runs `body` as the first task on the calling thread's event loop and exits the process with its result.
    /// Call from the main thread, once, before any task exists.
    public static func run(_ body: @escaping @Sendable (any EventLoop) async -> Int32) -> Never {
        MultiThreadedEventLoopGroup.withCurrentThreadAsEventLoop { eventLoop in
            loop = eventLoop
            cshim_route_concurrency { job, delay in ShimRunLoop.enqueue(job, afterNanoseconds: delay) }
            Task {
                let status = await body(eventLoop)
                exit(status)
            }
        }
        // The loop only ends if something shut it down before `body` finished.
        exit(1)
    }

    private static func enqueue(_ pointer: UnsafeMutableRawPointer?, afterNanoseconds delay: UInt64) {
        guard let loop, let pointer else { return }
        let job = unsafeBitCast(pointer, to: UnownedJob.self)
        if delay == 0 {
            loop.enqueue(ExecutorJob(job))
        } else {
            loop.scheduleTask(in: .nanoseconds(Int64(clamping: delay))) { loop.enqueue(ExecutorJob(job)) }
        }
    }
}
