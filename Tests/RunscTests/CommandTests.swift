import Testing

@testable import Runsc

/// The command lines of gVisor's Go shim (runsccmd/runsc.go), operation by operation.
struct CommandTests {
    static let runsc = Runsc(
        binary: "/usr/bin/runsc", root: "/run/containerd/runsc/k8s.io", log: "/run/b/log.json",
        extraFlags: ["--platform=ptrace", "--network=none"])
    static let globals = [
        "--root=/run/containerd/runsc/k8s.io", "--log=/run/b/log.json", "--log-format=json", "--platform=ptrace",
        "--network=none",
    ]

    struct Golden: Sendable, CustomTestStringConvertible {
        var operation: RunscOperation
        /// Everything after the global flags.
        var tail: [String]
        var output: RunscOutput = .none
        var testDescription: String { tail.joined(separator: " ") }
    }

    static let goldens: [Golden] = [
        Golden(
            operation: .create(id: "c1", CreateOptions(bundle: "/run/b")), tail: ["create", "--bundle", "/run/b", "c1"]),
        Golden(
            operation: .create(
                id: "c1",
                CreateOptions(
                    bundle: "/run/b", pidFile: "/run/b/init.pid", consoleSocket: "/tmp/pty1/pty.sock",
                    userLog: "/var/log/pods/x/gvisor.log")),
            tail: [
                "create", "--bundle", "/run/b", "--pid-file", "/run/b/init.pid", "--console-socket",
                "/tmp/pty1/pty.sock", "--user-log", "/var/log/pods/x/gvisor.log", "c1",
            ]),
        Golden(operation: .start(id: "c1"), tail: ["start", "c1"]),
        Golden(operation: .state(id: "c1"), tail: ["state", "c1"], output: .state),
        Golden(operation: .wait(id: "c1"), tail: ["wait", "c1"], output: .wait),
        Golden(
            operation: .wait(id: "c1", WaitOptions(pid: 4, rootPid: 7)),
            tail: ["wait", "--pid", "4", "--rootpid", "7", "c1"], output: .wait),
        Golden(operation: .kill(id: "c1", signal: 15), tail: ["kill", "c1", "15"]),
        Golden(operation: .kill(id: "c1", signal: 9, KillOptions(all: true)), tail: ["kill", "--all", "c1", "9"]),
        Golden(operation: .kill(id: "c1", signal: 2, KillOptions(pid: 12)), tail: ["kill", "--pid", "12", "c1", "2"]),
        Golden(
            operation: .kill(id: "c1", signal: 9, KillOptions(all: true, pid: 3)),
            tail: ["kill", "--all", "--pid", "3", "c1", "9"]),
        Golden(operation: .delete(id: "c1"), tail: ["delete", "c1"]),
        Golden(operation: .delete(id: "c1", DeleteOptions(force: true)), tail: ["delete", "--force", "c1"]),
        Golden(
            operation: .exec(id: "c1", ExecOptions(processSpecPath: "/tmp/p.json")),
            tail: ["exec", "--process", "/tmp/p.json", "c1"]),
        Golden(
            operation: .exec(
                id: "c1",
                ExecOptions(
                    processSpecPath: "/tmp/runsc-process1", consoleSocket: "/tmp/pty2/pty.sock", detach: true,
                    pidFile: "/run/b/e1.pid", internalPidFile: "/run/b/e1-internal.pid")),
            tail: [
                "exec", "--process", "/tmp/runsc-process1", "--console-socket", "/tmp/pty2/pty.sock", "--detach",
                "--pid-file", "/run/b/e1.pid", "--internal-pid-file", "/run/b/e1-internal.pid", "c1",
            ]),
        Golden(operation: .ps(id: "c1"), tail: ["ps", "--format", "json", "c1"], output: .pids),
        Golden(operation: .stats(id: "c1"), tail: ["events", "--stats", "c1"], output: .stats),
        Golden(operation: .pause(id: "c1"), tail: ["pause", "c1"]),
        Golden(operation: .resume(id: "c1"), tail: ["resume", "c1"]),
        Golden(operation: .update(id: "c1", resources: Array("{}".utf8)), tail: ["update", "--resources=-", "c1"]),
        Golden(
            operation: .checkpoint(id: "c1", CheckpointOptions(imagePath: "/ckpt")),
            tail: ["checkpoint", "--image-path=/ckpt", "c1"]),
        Golden(
            operation: .checkpoint(id: "c1", CheckpointOptions(imagePath: "/ckpt", leaveRunning: true, direct: true)),
            tail: ["checkpoint", "--image-path=/ckpt", "--leave-running", "--direct", "c1"]),
    ]

    @Test(arguments: goldens)
    func argv(_ golden: Golden) throws {
        let command = try Self.runsc.command(golden.operation)
        #expect(command.argv == ["/usr/bin/runsc"] + Self.globals + golden.tail)
        #expect(command.executable == "/usr/bin/runsc")
        #expect(command.subcommand == golden.tail[0])
        #expect(command.containerID == "c1")
        #expect(command.output == golden.output)
        #expect(command.logPath == "/run/b/log.json")
    }

    @Test func updateFeedsResourcesOnStdin() throws {
        let resources = Array(#"{"memory":{"limit":67108864}}"#.utf8)
        #expect(try Self.runsc.command(.update(id: "c1", resources: resources)).stdin == resources)
        #expect(try Self.runsc.command(.start(id: "c1")).stdin == nil)
    }

    struct GlobalsCase: Sendable, CustomTestStringConvertible {
        var runsc: Runsc
        var globals: [String]
        var logPath: String?
        var testDescription: String { globals.joined(separator: " ") }
    }

    @Test(arguments: [
        GlobalsCase(runsc: Runsc(), globals: ["--log-format=json"]),
        GlobalsCase(runsc: Runsc(logFormat: nil), globals: []),
        GlobalsCase(
            runsc: Runsc(root: "/r", log: "/l.json", logFormat: .text, panicLog: "/p/gvisor_panic.log"),
            globals: ["--root=/r", "--log=/l.json", "--log-format=text", "--panic-log=/p/gvisor_panic.log"]),
        GlobalsCase(
            runsc: Runsc(
                root: "/r", log: "/l.json", panicLog: "/p.log",
                extraFlags: [Runsc.flag("debug", "true"), "--debug-log=/var/log/runsc/%ID%/", "-strace"]),
            globals: [
                "--root=/r", "--log=/l.json", "--log-format=json", "--panic-log=/p.log", "--debug=true",
                "--debug-log=/var/log/runsc/%ID%/", "-strace",
            ],
            logPath: "/l.json"),
    ])
    func globalFlags(_ example: GlobalsCase) throws {
        let command = try example.runsc.command(.state(id: "x"))
        #expect(command.argv == ["runsc"] + example.globals + ["state", "x"])
        #expect(command.logPath == example.logPath)
    }

    @Test func customSubcommandKeepsGlobals() throws {
        let command = try Self.runsc.command(subcommand: "list", arguments: ["--format=json"])
        #expect(command.argv == ["/usr/bin/runsc"] + Self.globals + ["list", "--format=json"])
        #expect(command.subcommand == "list")
        #expect(command.containerID == nil)
    }

    struct InvalidCase: Sendable, CustomTestStringConvertible {
        var runsc = Runsc()
        var operation: RunscOperation
        var field: String
        var testDescription: String { "\(field): \(operation)" }
    }

    @Test(arguments: [
        InvalidCase(operation: .start(id: ""), field: "id"),
        InvalidCase(operation: .start(id: "--all"), field: "id"),
        InvalidCase(operation: .start(id: "a/b"), field: "id"),
        InvalidCase(operation: .start(id: ".."), field: "id"),
        InvalidCase(operation: .start(id: "a b"), field: "id"),
        InvalidCase(operation: .create(id: "c", CreateOptions(bundle: "")), field: "bundle"),
        InvalidCase(operation: .create(id: "c", CreateOptions(bundle: "/b", pidFile: "")), field: "pidFile"),
        InvalidCase(operation: .exec(id: "c", ExecOptions(processSpecPath: "")), field: "processSpecPath"),
        InvalidCase(operation: .kill(id: "c", signal: 0), field: "signal"),
        InvalidCase(operation: .kill(id: "c", signal: 9, KillOptions(pid: -1)), field: "pid"),
        InvalidCase(operation: .wait(id: "c", WaitOptions(rootPid: 0)), field: "rootPid"),
        InvalidCase(operation: .checkpoint(id: "c", CheckpointOptions(imagePath: "")), field: "imagePath"),
        InvalidCase(runsc: Runsc(root: ""), operation: .start(id: "c"), field: "root"),
        InvalidCase(runsc: Runsc(binary: ""), operation: .start(id: "c"), field: "binary"),
        InvalidCase(runsc: Runsc(extraFlags: ["platform=ptrace"]), operation: .start(id: "c"), field: "extraFlags[0]"),
        InvalidCase(runsc: Runsc(log: "/a\u{0}b"), operation: .start(id: "c"), field: "argument"),
    ])
    func invalidInputNamesTheField(_ example: InvalidCase) {
        #expect {
            try example.runsc.command(example.operation)
        } throws: { error in
            (error as? RunscArgumentError)?.field == example.field
        }
    }

    @Test func validIDsPass() throws {
        for id in ["a", "A-1", "pod_1.2+x", "4f1e0b5c9a2d"] {
            #expect(try Self.runsc.command(.start(id: id)).argv.last == id)
        }
    }

    @Test func argumentErrorDescriptionNamesFieldAndExpectation() {
        let error = RunscArgumentError(field: "id", value: "-x", expected: "not starting with '-'")
        #expect(error.description == #"invalid runsc argument id "-x": expected not starting with '-'"#)
    }
}
