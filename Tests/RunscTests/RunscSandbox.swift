import FoundationEssentials
import Glibc
import Testing

@testable import Runsc

/// One real runsc container for a test: a temp dir with the runsc root and an OCI bundle (busybox rootfs),
/// a client set up for this machine's runsc (ptrace, no network), and a cleanup that leaves nothing behind.
struct RunscSandbox {
    static let cgroupParent = "runsc-test"

    let directory: String
    let id: String
    let client: RunscClient

    var root: String { directory + "/root" }
    var bundle: String { directory + "/bundle" }
    var logPath: String { bundle + "/log.json" }
    var pidFile: String { bundle + "/init.pid" }

    /// Makes the bundle for a container running `arguments`.
    static func make(name: String, arguments: [String]) throws -> RunscSandbox {
        try Tools.requireRoot()
        let runsc = try Tools.requireRunsc()
        let busybox = try Tools.requireBusybox()
        let directory = try TemporaryDirectory.make(prefix: "runsc-test")
        let id = "rt\(getpid())-\(name)-\(UInt32.random(in: 0..<UInt32.max))"
        let sandbox = RunscSandbox(
            directory: directory, id: id,
            client: RunscClient(
                runsc: Runsc(
                    binary: runsc, root: directory + "/root", log: directory + "/bundle/log.json",
                    extraFlags: ["--network=none", "--platform=ptrace"])))
        do {
            let files = FileManager.default
            try files.createDirectory(atPath: sandbox.bundle + "/rootfs/bin", withIntermediateDirectories: true)
            try files.copyItem(atPath: busybox, toPath: sandbox.bundle + "/rootfs/bin/busybox")
            for applet in ["sh", "echo", "sleep", "cat"] {
                try files.createSymbolicLink(
                    atPath: sandbox.bundle + "/rootfs/bin/\(applet)", withDestinationPath: "busybox")
            }
            try writeFile(sandbox.bundle + "/config.json", try sandbox.config(arguments: arguments))
        } catch {
            TemporaryDirectory.remove(directory)
            throw error
        }
        return sandbox
    }

    /// The shape `runsc spec` prints, with stdio pipes instead of a terminal, no network namespace (runsc
    /// runs with --network=none) and a cgroup of our own.
    func config(arguments: [String]) throws -> String {
        let args = String(decoding: try JSONEncoder().encode(arguments), as: UTF8.self)
        return """
            {
              "ociVersion": "1.0.0",
              "process": {
                "terminal": false,
                "user": {"uid": 0, "gid": 0},
                "args": \(args),
                "env": ["PATH=/bin", "TERM=xterm"],
                "cwd": "/",
                "capabilities": {
                  "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                  "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                  "inheritable": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                  "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
                },
                "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]
              },
              "root": {"path": "rootfs", "readonly": true},
              "hostname": "runsc",
              "mounts": [
                {"destination": "/proc", "type": "proc", "source": "proc"},
                {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"},
                {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}
              ],
              "linux": {
                "cgroupsPath": "/\(Self.cgroupParent)/\(id)",
                "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]
              }
            }
            """
    }

    /// Runs `body`, then cleans up whether it threw or not; cleanup problems are test failures.
    func run(_ body: (RunscSandbox) async throws -> Void) async throws {
        do {
            try await body(self)
        } catch {
            for problem in await cleanup() { Issue.record(Comment(rawValue: problem)) }
            throw error
        }
        for problem in await cleanup() { Issue.record(Comment(rawValue: problem)) }
    }

    /// Processes whose command line names this sandbox's private runsc root: sandbox, gofer, runsc calls.
    func leftoverProcesses() -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: cmdline, as: UTF8.self).contains(root)
        }
    }

    /// Waits up to `timeout` for the sandbox's processes to be gone; returns those still there.
    func waitForNoLeftovers(timeout: Duration = .seconds(5)) async -> [Int32] {
        let deadline = ContinuousClock.now + timeout
        var left = leftoverProcesses()
        while !left.isEmpty && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
            left = leftoverProcesses()
        }
        return left
    }

    /// `runsc delete --force`, then SIGKILL by pid for anything left, remove the cgroups runsc made and the
    /// temp dir. Returns what could not be cleaned.
    func cleanup() async -> [String] {
        var problems: [String] = []
        _ = try? await client.delete(id: id, options: DeleteOptions(force: true))
        let survivors = leftoverProcesses()
        for pid in survivors { kill(pid, SIGKILL) }
        if !survivors.isEmpty {
            let stubborn = await waitForNoLeftovers()
            if !stubborn.isEmpty { problems.append("processes of \(id) survive SIGKILL: \(stubborn)") }
        }
        let controllers =
            ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [])
            .map { "/sys/fs/cgroup/\($0)" } + ["/sys/fs/cgroup"]
        for controller in controllers {
            let parent = "\(controller)/\(Self.cgroupParent)"
            let leaf = "\(parent)/\(id)"
            if access(leaf, F_OK) == 0 && rmdir(leaf) != 0 {
                problems.append("cannot remove cgroup \(leaf): errno \(errno)")
            }
            // Shared by the tests of this suite, which run one at a time; gone once empty.
            if access(parent, F_OK) == 0 { rmdir(parent) }
        }
        TemporaryDirectory.remove(directory)
        if access(directory, F_OK) == 0 { problems.append("cannot remove \(directory)") }
        return problems
    }
}

/// A pipe for container stdio, closed on every path via ``closeAll()``.
final class TestPipe {
    var read: Int32
    var write: Int32

    init() throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw TestSetupError(description: "pipe failed: errno \(errno)") }
        (read, write) = (fds[0], fds[1])
    }

    func closeRead() {
        if read >= 0 { close(read) }
        read = -1
    }

    func closeWrite() {
        if write >= 0 { close(write) }
        write = -1
    }

    func closeAll() {
        closeRead()
        closeWrite()
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = Glibc.write(write, bytes, bytes.count)
    }

    /// What is buffered now, without waiting for writers to close.
    func available() -> String {
        let flags = fcntl(read, F_GETFL)
        _ = fcntl(read, F_SETFL, flags | O_NONBLOCK)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(read, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
