import Glibc
import HostOS
import NIOPosix
import Testing

@testable import Shim

/// The reaper's bookkeeping, without letting it reap: the test process is shared with other suites
/// whose children a `waitpid(-1)` would steal.
struct ReaperTests {
    @Test func exitBeforeWaitIsKept() async {
        let reaper = Reaper()
        reaper.deliver(pid: 4242, status: 3 << 8)
        #expect(await reaper.wait(for: 4242) == 3 << 8)
    }

    @Test func waitBeforeExitIsResumed() async {
        let reaper = Reaper()
        async let status = reaper.wait(for: 777)
        // Give the waiter a moment to register; delivery must work either way.
        try? await Task.sleep(for: .milliseconds(20))
        reaper.deliver(pid: 777, status: 137)
        #expect(await status == 137)
    }

    @Test func unclaimedExitsAreBounded() async {
        let reaper = Reaper()
        for pid in 1...5000 { reaper.deliver(pid: pid_t(pid), status: Int32(pid % 256)) }
        // The newest are kept; pid 5000's status is 5000 % 256.
        #expect(await reaper.wait(for: 5000) == Int32(5000 % 256))
    }

    @Test(arguments: [("exit 0", Int32(0)), ("exit 3", 3), ("kill -KILL $$", 137), ("kill -TERM $$", 143)])
    func exitStatusConvention(script: String, expected: Int32) throws {
        let pid = try Spawn(executable: "/bin/sh", arguments: ["sh", "-c", script]).start()
        var status: Int32 = 0
        #expect(waitpid(pid, &status, 0) == pid)
        #expect(WaitStatus(rawValue: status).code == expected)
    }
}

/// The reaper on a real event loop with real signals. Its signal handlers are process-wide, so the suite runs
/// serially, and the reaper is scoped to a process group so it never steals the children of other suites.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ReaperSignalTests {
    /// A process-group leader that lives until killed, so the group exists while children join it.
    private func leader() throws -> pid_t {
        var spawn = Spawn(executable: "/bin/sleep", arguments: ["sleep", "60"])
        spawn.processGroup = 0
        return try spawn.start()
    }

    /// True once `/proc/<pid>` is gone: the process exited and was reaped.
    private func reaped(_ pid: pid_t) async throws -> Bool {
        for _ in 0..<500 {
            if access("/proc/\(pid)", F_OK) != 0 { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// Exits coalesce into one pending SIGCHLD; containerd's Go reaper, gVisor's Go shim and the runc-v2 shim
    /// all loop `waitpid(WNOHANG)` per signal for this reason. Twenty children exit at once and are reaped with
    /// nobody waiting; every status is kept until asked for.
    @Test func reapsOnSIGCHLDAndKeepsExitsNobodyWaitedFor() async throws {
        let group = try leader()
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let reaper = Reaper(processGroup: group)
        try await reaper.start(on: loops.next())
        var codes: [pid_t: Int32] = [:]
        for code in Int32(0)..<20 {
            var spawn = Spawn(executable: "/bin/sh", arguments: ["sh", "-c", "exit \(code)"])
            spawn.processGroup = group
            codes[try spawn.start()] = code
        }
        for pid in codes.keys { #expect(try await reaped(pid), "pid \(pid) not reaped without a waiter") }
        for (pid, code) in codes {
            #expect(WaitStatus(rawValue: await reaper.wait(for: pid)).code == code)
        }

        // Waiting first works too: the waiter is resumed by the SIGCHLD.
        async let leaderStatus = reaper.wait(for: group)
        kill(group, SIGKILL)
        #expect(WaitStatus(rawValue: await leaderStatus).code == 128 + SIGKILL)
        await reaper.stop()
        try await loops.shutdownGracefully()
    }

    /// SIGTERM, SIGINT and SIGUSR1 run their handlers on the loop (the daemon's shutdown path).
    @Test func signalHandlersRunOnTheLoop() async throws {
        let group = try leader()
        defer {
            kill(group, SIGKILL)
            var status: Int32 = 0
            waitpid(group, &status, 0)
        }
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let reaper = Reaper(processGroup: group)
        try await reaper.start(on: loops.next())
        let (received, continuation) = AsyncStream.makeStream(of: Int32.self)
        for signal in [SIGTERM, SIGUSR1] {
            reaper.onSignal(signal) {
                precondition(loops.next().inEventLoop)
                continuation.yield(signal)
            }
        }
        var iterator = received.makeAsyncIterator()
        #expect(kill(getpid(), SIGUSR1) == 0)
        #expect(await iterator.next() == SIGUSR1)
        #expect(kill(getpid(), SIGTERM) == 0)
        #expect(await iterator.next() == SIGTERM)
        await reaper.stop()
        try await loops.shutdownGracefully()
    }
}

/// runsc's output read on the event loop: what the loop read, plus what is still in the pipe when the exit
/// is handled first.
struct LoopOutputCaptureTests {
    private func makePipe() -> (read: CInt, write: CInt) {
        var fds: [CInt] = [0, 0]
        precondition(pipe(&fds) == 0)
        return (fds[0], fds[1])
    }

    @Test func finishReadsWhatTheLoopHasNotSeenYet() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pipe = makePipe()
        let capture = LoopOutputCapture.start(pipe.read, on: group.next())
        let text = Array("{\"id\":\"c1\",\"exitStatus\":3}".utf8)
        #expect(write(pipe.write, text, text.count) == text.count)
        #expect(await capture.finish() == text)
        close(pipe.write)
        try await group.shutdownGracefully()
    }

    /// More than a pipe buffer: the loop must keep draining while the writer runs, or the writer would block
    /// forever (a child that prints a lot and is never reaped). The write end stays open, as the sandbox's does.
    @Test func drainsWhileTheWriterRunsAndKeepsEveryByte() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pipe = makePipe()
        let capture = LoopOutputCapture.start(pipe.read, on: group.next())
        let payload = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let writer = Thread.detach {
            payload.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(pipe.write, raw.baseAddress! + offset, raw.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
        }
        writer.join()
        #expect(await capture.finish() == payload)
        close(pipe.write)
        try await group.shutdownGracefully()
    }
}

struct StdioRelayTests {
    private func makePipe() -> (read: CInt, write: CInt) {
        var fds: [CInt] = [0, 0]
        precondition(pipe(&fds) == 0)
        return (fds[0], fds[1])
    }

    @Test func copiesEverythingAndClosesTheSinkAtEnd() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let input = makePipe()
        let output = makePipe()
        let done = StdioRelay.start(from: input.read, to: output.write, on: group.next()).done

        // More than a pipe buffer, so backpressure is exercised while the reader is slow.
        let payload = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let writer = Thread.detach {
            payload.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(input.write, raw.baseAddress! + offset, raw.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
            close(input.write)
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(output.read, &buffer, buffer.count)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        writer.join()
        close(output.read)
        try await done.get()
        try await group.shutdownGracefully()
        #expect(received == payload)
    }
}

/// A plain thread for the tests' blocking writers.
private final class Thread: @unchecked Sendable {
    private var thread = pthread_t()
    private let body: () -> Void

    private init(body: @escaping () -> Void) { self.body = body }

    static func detach(_ body: @escaping () -> Void) -> Thread {
        let box = Thread(body: body)
        let unmanaged = Unmanaged.passRetained(box)
        pthread_create(
            &box.thread, nil,
            { raw in
                let box = Unmanaged<Thread>.fromOpaque(raw!).takeRetainedValue()
                box.body()
                return nil
            }, unmanaged.toOpaque())
        return box
    }

    func join() { pthread_join(thread, nil) }
}
