import Glibc
import Synchronization
import Testing

@testable import Runsc

/// The executor against real child processes (busybox), no runsc needed.
struct ProcessExecutorTests {
    let executor = ProcessExecutor()

    @Test func capturesStdoutAndStderrAndExitCode() async throws {
        let result = try await executor.run(try Tools.busyboxCommand(["sh", "-c", "echo out; echo err >&2; exit 7"]))
        #expect(result.status == .exited(7))
        #expect(result.stdoutText == "out\n")
        #expect(result.stderrText == "err\n")
        #expect(result.pid > 0)
    }

    @Test func reportsTheSignalThatKilledTheChild() async throws {
        let result = try await executor.run(try Tools.busyboxCommand(["sh", "-c", "kill -9 $$"]))
        #expect(result.status == .signaled(9))
        #expect(result.status.code == 137)
    }

    @Test func pidIsKnownBeforeTheExit() async throws {
        let process = try executor.spawn(
            try Tools.busyboxCommand(["sh", "-c", "echo $$; sleep 0.2"]), stdio: .captured)
        #expect(kill(process.pid, 0) == 0)
        let result = try await process.wait()
        #expect(result.stdoutText == "\(process.pid)\n")
        // A second wait gives the same answer.
        #expect(try await process.wait() == result)
    }

    @Test(arguments: [0, 5, 65536, 1 << 20])
    func feedsStdinBytes(count: Int) async throws {
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let result = try await executor.run(try Tools.busyboxCommand(["wc", "-c"], stdin: bytes))
        #expect(result.status == .exited(0))
        #expect(result.stdoutText.split(whereSeparator: \.isWhitespace).first.map(String.init) == "\(count)")
        let echoed = try await executor.run(try Tools.busyboxCommand(["cat"], stdin: bytes))
        #expect(echoed.stdout == bytes)
    }

    @Test func stdinBytesAndAStdinDescriptorConflict() throws {
        #expect {
            _ = try executor.spawn(
                try Tools.busyboxCommand(["cat"], stdin: [1]), stdio: RunscStdio(stdin: .fileDescriptor(0)))
        } throws: { error in
            (error as? RunscArgumentError)?.field == "stdio.stdin"
        }
    }

    @Test func wiresCallerDescriptors() async throws {
        var input: [Int32] = [-1, -1]
        var output: [Int32] = [-1, -1]
        try #require(pipe(&input) == 0)
        try #require(pipe(&output) == 0)
        defer { [input[0], output[0]].forEach { close($0) } }
        let message = Array("hello through fds\n".utf8)
        #expect(write(input[1], message, message.count) == message.count)
        close(input[1])
        // stdout and stderr to the same descriptor.
        let result = try await executor.run(
            try Tools.busyboxCommand(["sh", "-c", "cat; echo to-stderr >&2"]),
            stdio: RunscStdio(
                stdin: .fileDescriptor(input[0]), stdout: .fileDescriptor(output[1]), stderr: .fileDescriptor(output[1])
            ))
        close(output[1])
        #expect(result.status == .exited(0))
        #expect(result.stdout.isEmpty && result.stderr.isEmpty)
        #expect(readAll(output[0]) == "hello through fds\nto-stderr\n")
    }

    @Test func nullStdioDiscards() async throws {
        let result = try await executor.run(
            try Tools.busyboxCommand(["sh", "-c", "cat; echo x; echo y >&2"]), stdio: .null)
        #expect(result.status == .exited(0))
        #expect(result.stdout.isEmpty && result.stderr.isEmpty)
    }

    /// runsc create leaves a sandbox holding runsc's stdout; the result must not wait for that pipe to close.
    @Test func returnsAtExitEvenIfADescendantKeepsThePipeOpen() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let result = try await executor.run(try Tools.busyboxCommand(["sh", "-c", "sleep 30 & echo $!"]))
        let elapsed = clock.now - start
        let orphan = try #require(Int32(result.stdoutText.trimmingSpaces))
        #expect(kill(orphan, SIGKILL) == 0)
        #expect(result.status == .exited(0))
        #expect(elapsed < .seconds(10))
    }

    @Test func doesNotLeakDescriptorsIntoTheChild() async throws {
        // Deliberately without close-on-exec.
        let leaky = open("/dev/null", O_RDONLY)
        try #require(leaky > 2)
        defer { close(leaky) }
        let result = try await executor.run(try Tools.busyboxCommand(["ls", "/proc/self/fd"]))
        let descriptors = Set(result.stdoutText.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) })
        #expect(descriptors.isSuperset(of: [0, 1, 2]))
        #expect(!descriptors.contains(leaky))
        // ls holds one directory descriptor of its own; nothing else may be there.
        #expect(descriptors.count <= 4)
    }

    @Test func resetsSignalDispositionsAndMask() async throws {
        let previous = signal(SIGUSR2, SIG_IGN)
        defer { signal(SIGUSR2, previous) }
        var block = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGUSR1)
        var old = sigset_t()
        pthread_sigmask(SIG_BLOCK, &block, &old)
        let process = try executor.spawn(
            try Tools.busyboxCommand(["grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"]), stdio: .captured)
        pthread_sigmask(SIG_SETMASK, &old, nil)
        let result = try await process.wait()
        var masks: [String: UInt64] = [:]
        for line in result.stdoutText.split(separator: "\n") {
            let fields = line.split(separator: "\t")
            masks[String(fields[0])] = UInt64(fields[1], radix: 16)
        }
        #expect(masks["SigBlk:"] == 0)
        // Signals 1…31 only: glibc's posix_spawn leaves its two internal real-time signals (32, 33) ignored.
        #expect(masks["SigIgn:"].map { $0 & 0x7fff_ffff } == 0)
    }

    @Test func missingExecutableIsASpawnError() {
        let command = RunscCommand(executable: "/nonexistent/runsc", arguments: ["state", "x"])
        #expect {
            _ = try executor.spawn(command, stdio: .captured)
        } throws: { error in
            guard let error = error as? RunscSpawnError else { return false }
            return error.errno == ENOENT && error.description.contains("/nonexistent/runsc")
                && error.description.contains("No such file or directory")
        }
        let bare = RunscCommand(executable: "no-such-runsc-binary-on-path", arguments: [])
        #expect(throws: RunscSpawnError.self) { _ = try executor.spawn(bare, stdio: .captured) }
    }

    @Test func manyConcurrentChildrenKeepTheirOwnOutput() async throws {
        let command = try Tools.busyboxCommand(["sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x; echo \" $0\""])
        try await withThrowingTaskGroup(of: (Int, RunscResult).self) { group in
            for index in 0..<24 {
                var own = command
                own.arguments.append("child\(index)")
                group.addTask { (index, try await executor.run(own)) }
            }
            for try await (index, result) in group {
                #expect(result.status == .exited(0))
                #expect(result.stdout.count == 100_000 + " child\(index)\n".utf8.count)
                #expect(result.stdoutText.hasSuffix(" child\(index)\n"))
            }
        }
    }

    @Test func waiterHookSeesEverySpawn() async throws {
        let recorder = RecordingWaiter()
        let executor = ProcessExecutor(waiter: recorder)
        let process = try executor.spawn(try Tools.busyboxCommand(["true"]), stdio: .captured)
        #expect(recorder.pids == [process.pid])
        #expect(try await process.wait().status == .exited(0))
    }

    @Test(arguments: [
        (Int32(0), ProcessExitStatus.exited(0)), (3 << 8, .exited(3)), (255 << 8, .exited(255)), (9, .signaled(9)),
        (0x80 | 11, .signaled(11)),
    ])
    func exitStatusFromWaitStatus(_ raw: Int32, _ expected: ProcessExitStatus) {
        #expect(ProcessExitStatus(rawValue: raw) == expected)
    }
}

/// A ``ChildWaiter`` that records pids and delegates, standing in for the shim's reaper-backed one.
final class RecordingWaiter: ChildWaiter {
    private let inner = ThreadWaiter()
    private let recorded = Mutex<[Int32]>([])

    var pids: [Int32] { recorded.withLock { $0 } }

    func watch(spawn: () throws -> Int32) throws -> WatchedChild {
        let child = try inner.watch(spawn: spawn)
        recorded.withLock { $0.append(child.pid) }
        return child
    }
}

extension String {
    var trimmingSpaces: String { RunscLog.trimmed(self) }
}
