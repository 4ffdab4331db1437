import FoundationEssentials
import Glibc
import Synchronization
import Testing

@testable import Runsc

/// The driver against the real runsc (ptrace platform, no network; see the module's test notes). One test at
/// a time: they share the cgroup parent and the machine has few cores.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct RunscContainerTests {
    /// runsc 20221219 only reports an exit to a `runsc wait` that attached while the container ran; give the
    /// spawned wait this long to attach before the container is made to exit.
    static let attachDelay = Duration.milliseconds(500)

    @Test func createStartWaitPropagatesTheExitStatus() async throws {
        let sandbox = try RunscSandbox.make(
            name: "exit", arguments: ["sh", "-c", "read line; echo got $line; exit 3"])
        let stdin = try TestPipe()
        let stdout = try TestPipe()
        defer {
            stdin.closeAll()
            stdout.closeAll()
        }
        try await sandbox.run { sandbox in
            let client = sandbox.client
            // The pod sandbox's stdio is runsc create's.
            try await client.create(
                id: sandbox.id, options: CreateOptions(bundle: sandbox.bundle, pidFile: sandbox.pidFile),
                stdio: RunscStdio(
                    stdin: .fileDescriptor(stdin.read), stdout: .fileDescriptor(stdout.write),
                    stderr: .fileDescriptor(stdout.write)))
            stdin.closeRead()
            stdout.closeWrite()

            let created = try await client.state(id: sandbox.id)
            #expect(created.id == sandbox.id)
            #expect(created.status == .created)
            #expect(created.bundle == sandbox.bundle)
            #expect(created.pid == (try RunscClient.readPidFile(sandbox.pidFile)))

            try await client.start(id: sandbox.id, stdio: .captured)
            #expect(try await client.state(id: sandbox.id).status == .running)

            let waiting = try client.spawnWait(id: sandbox.id)
            try await Task.sleep(for: Self.attachDelay)
            stdin.send("go\n")
            stdin.closeWrite()
            let exit = try await waiting.value()
            #expect(exit.exitStatus == 3)
            #expect(exit.id == sandbox.id)

            #expect(try await client.state(id: sandbox.id).status == .stopped)
            try await client.delete(id: sandbox.id)
            #expect(stdout.available() == "got go\n")
            #expect(await sandbox.waitForNoLeftovers() == [])

            let error = await #expect(throws: RunscError.self) { try await client.state(id: sandbox.id) }
            #expect(error?.isNotFound == true)
        }
    }

    @Test func longRunningContainerThroughPauseExecAndKill() async throws {
        let sandbox = try RunscSandbox.make(name: "sleep", arguments: ["sleep", "300"])
        try await sandbox.run { sandbox in
            let client = sandbox.client
            let id = sandbox.id
            try await client.create(
                id: id, options: CreateOptions(bundle: sandbox.bundle, pidFile: sandbox.pidFile), stdio: .null)
            try await client.start(id: id, stdio: .null)

            let running = try await client.state(id: id)
            #expect(running.status == .running)
            #expect(running.pid == (try RunscClient.readPidFile(sandbox.pidFile)))
            // `sleep` is init of the container's pid namespace.
            #expect(try await client.ps(id: id) == [1])

            let stats = try await client.stats(id: id)
            #expect(stats.id == id)
            #expect((stats.cpu?.usage.total ?? 0) > 0)
            #expect((stats.memory?.usage.usage ?? 0) > 0)
            #expect((stats.pids?.current ?? 0) >= 1)

            try await client.pause(id: id)
            #expect(try await client.state(id: id).status == .paused)
            try await client.resume(id: id)
            #expect(try await client.state(id: id).status == .running)

            // exec without --detach: the runsc child lives as long as the process and exits with its status.
            let process = sandbox.bundle + "/exec1.json"
            try writeFile(
                process,
                #"{"terminal":false,"user":{"uid":0,"gid":0},"args":["sh","-c","echo exec-ok; exit 5"],"env":["PATH=/bin"],"cwd":"/"}"#
            )
            let exec = try client.spawnExec(
                id: id,
                options: ExecOptions(
                    processSpecPath: process, pidFile: sandbox.bundle + "/exec1.pid",
                    internalPidFile: sandbox.bundle + "/exec1-internal.pid"),
                stdio: .captured)
            let executed = try await exec.process.wait()
            #expect(executed.status == .exited(5))
            #expect(executed.stdoutText == "exec-ok\n")
            #expect(try RunscClient.readPidFile(sandbox.bundle + "/exec1.pid") == exec.pid)
            #expect(try RunscClient.readPidFile(sandbox.bundle + "/exec1-internal.pid") > 1)
            // Interpreted, the same exit is a failure of `runsc exec`.
            let failed = await #expect(throws: RunscError.self) { try await exec.value() }
            #expect(failed?.exitStatus == .exited(5))
            #expect(failed?.subcommand == "exec")

            // Wait first, then kill: the wait reports the kill.
            let waiting = try client.spawnWait(id: id)
            try await Task.sleep(for: Self.attachDelay)
            try await client.kill(id: id, signal: SIGKILL)
            #expect(try await waiting.value().exitStatus == 128 + SIGKILL)
            #expect(try await client.state(id: id).status == .stopped)

            try await client.delete(id: id)
            #expect(await sandbox.waitForNoLeftovers() == [])
        }
    }

    /// The shim's phase breakdown logs every runsc invocation once, with its duration and exit status.
    @Test func invocationObserverSeesEachRunOnceWithItsDuration() async throws {
        try Tools.requireRoot()
        let binary = try Tools.requireRunsc()
        let directory = try TemporaryDirectory.make(prefix: "runsc-test")
        defer { TemporaryDirectory.remove(directory) }
        let seen = Mutex<[(String, Duration, Bool)]>([])
        RunscClient.observeInvocations { command, duration, status in
            guard command.containerID == "rt-observed" else { return }  // other tests run runsc meanwhile
            seen.withLock { $0.append((command.subcommand, duration, status.isSuccess)) }
        }
        defer { RunscClient.observeInvocations(nil) }
        let client = RunscClient(runsc: Runsc(binary: binary, root: directory + "/root"))
        let started = ContinuousClock.now
        await #expect(throws: RunscError.self) { try await client.state(id: "rt-observed") }
        let elapsed = ContinuousClock.now - started
        let calls = seen.withLock { $0 }
        #expect(calls.count == 1)
        #expect(calls.first?.0 == "state")
        #expect(calls.first?.2 == false)
        #expect(calls.first.map { $0.1 > .zero && $0.1 <= elapsed } == true)
    }

    @Test func failuresCarryRunscsOwnMessage() async throws {
        try Tools.requireRoot()
        let binary = try Tools.requireRunsc()
        let directory = try TemporaryDirectory.make(prefix: "runsc-test")
        defer { TemporaryDirectory.remove(directory) }
        let log = directory + "/log.json"
        let client = RunscClient(runsc: Runsc(binary: binary, root: directory + "/root", log: log))

        // From the JSON log.
        let missing = await #expect(throws: RunscError.self) {
            try await client.start(id: "rt-missing", stdio: .captured)
        }
        let logged = try #require(RunscLog.lastError(atPath: log))
        #expect(logged.contains("does not exist"))
        #expect(missing?.message == logged)
        #expect(missing?.subcommand == "start")
        #expect(missing?.containerID == "rt-missing")
        #expect(missing?.exitStatus.isSuccess == false)
        #expect(missing?.isNotFound == true)
        #expect(missing?.description.contains("runsc start rt-missing failed") == true)

        // Without a log, from stderr.
        var quiet = client
        quiet.runsc.log = nil
        let unlogged = await #expect(throws: RunscError.self) { try await quiet.state(id: "rt-missing") }
        #expect(unlogged?.message == logged)

        // A failure that logs nothing must not be blamed on the log's earlier entries.
        var misconfigured = client
        misconfigured.runsc.extraFlags = ["--no-such-flag=1"]
        let rejected = await #expect(throws: RunscError.self) { try await misconfigured.state(id: "rt-missing") }
        #expect(rejected?.message?.contains("no-such-flag") == true)
        #expect(rejected?.message?.contains("does not exist") == false)
    }

    @Test func missingBinaryIsASpawnErrorNamingIt() async throws {
        let client = RunscClient(runsc: Runsc(binary: "/nonexistent/bin/runsc"))
        let error = await #expect(throws: RunscSpawnError.self) { try await client.state(id: "x") }
        #expect(error?.executable == "/nonexistent/bin/runsc")
        #expect(error?.errno == ENOENT)
    }
}
