import Glibc
import NIOPosix
import Testing

@testable import Shim

/// The reaper's bookkeeping, without letting it reap: the test process is shared with other suites
/// whose children a `waitpid(-1)` would steal. The shim binary's end-to-end tests exercise the real loop.
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
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup(script), nil]
        defer { argv.forEach { free($0) } }
        // Default dispositions and an empty mask: the test runner may ignore or block SIGTERM.
        let rc = withDefaultSignals { posix_spawn(&pid, "/bin/sh", nil, &$0, argv, environ) }
        #expect(rc == 0)
        var status: Int32 = 0
        #expect(waitpid(pid, &status, 0) == pid)
        #expect(Reaper.exitStatus(fromWaitStatus: status) == expected)
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
