import Glibc
import HostOS
import Testing

struct SpawnTests {
    private func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        try #require(Glibc.pipe(&fds) == 0)
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return (fds[0], fds[1])
    }

    /// Runs `script` with stdout on a pipe and returns what it printed and how it ended.
    private func run(
        _ script: String, environment: [String]? = nil, configure: (inout Spawn) -> Void = { _ in }
    ) throws -> (output: String, status: WaitStatus) {
        let out = try pipe()
        var spawn = Spawn(
            executable: "sh", arguments: ["sh", "-c", script], environment: environment,
            descriptors: [.null, .duplicate(out.write), .duplicate(out.write)])
        configure(&spawn)
        let pid = try spawn.start()
        close(out.write)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(out.read, &buffer, buffer.count)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        close(out.read)
        return (String(decoding: bytes, as: UTF8.self), try WaitStatus.wait(for: pid))
    }

    @Test func looksUpNamesInPathAndPassesArgumentsAndEnvironment() throws {
        let result = try run("echo \"$GREETING\" \"$0\"", environment: ["GREETING=hello", "PATH=/usr/bin:/bin"])
        #expect(result.output == "hello sh\n")
        #expect(result.status == .exited(0))
    }

    /// Only the listed descriptors reach the child, even those without close-on-exec (a leaked pipe would keep
    /// a reader waiting for end-of-file forever).
    @Test func childGetsExactlyTheListedDescriptors() throws {
        let leaky = open("/dev/null", O_RDONLY)
        try #require(leaky > 2)
        defer { close(leaky) }
        let result = try run("ls /proc/self/fd")
        let descriptors = Set(result.output.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) })
        #expect(descriptors.isSuperset(of: [0, 1, 2]))
        #expect(!descriptors.contains(leaky))
        // ls holds one directory descriptor of its own.
        #expect(descriptors.count <= 4)
    }

    /// A source that is itself one of the targets (here the caller's fd 0 as the child's fd 3) is moved out of
    /// the way first, and dup2 clears close-on-exec: the shim passes its listening socket as fd 3 this way.
    @Test func sourcesBelowTheTableAreMovedFirst() throws {
        let out = try pipe()
        let spawn = Spawn(
            executable: "/bin/sh", arguments: ["sh", "-c", "readlink /proc/self/fd/3 >&2"],
            descriptors: [.null, .null, .duplicate(out.write), .duplicate(STDIN_FILENO)])
        let pid = try spawn.start()
        close(out.write)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(out.read, &buffer, buffer.count)
        close(out.read)
        var expected = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/fd/0", &expected, expected.count)
        #expect(try WaitStatus.wait(for: pid) == .exited(0))
        try #require(count > 0 && length > 0)
        #expect(
            String(decoding: buffer[0..<count - 1], as: UTF8.self)
                == String(decoding: expected[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// The caller's ignored and blocked signals do not reach the child (the shim blocks SIGCHLD and ignores
    /// SIGPIPE; runsc must start with defaults).
    @Test func resetsSignalDispositionsAndMask() throws {
        let previous = signal(SIGUSR2, SIG_IGN)
        defer { signal(SIGUSR2, previous) }
        var block = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGUSR1)
        var old = sigset_t()
        pthread_sigmask(SIG_BLOCK, &block, &old)
        defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
        let result = try run("grep -E '^Sig(Ign|Blk)' /proc/self/status")
        var masks: [String: UInt64] = [:]
        for line in result.output.split(separator: "\n") {
            let fields = line.split(separator: "\t")
            masks[String(fields[0])] = UInt64(fields[1], radix: 16)
        }
        #expect(masks["SigBlk:"] == 0)
        // Signals 1…31 only: glibc's posix_spawn leaves its two internal real-time signals (32, 33) ignored.
        #expect(masks["SigIgn:"].map { $0 & 0x7fff_ffff } == 0)
    }

    /// `/proc/<pid>/stat` fields 5 and 6 of the child: its process group and session.
    @Test func newSessionAndProcessGroup() throws {
        func ids(_ configure: (inout Spawn) -> Void) throws -> [Int32] {
            let result = try run("cut -d' ' -f5,6 /proc/$$/stat", configure: configure)
            #expect(result.status == .exited(0))
            return result.output.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
        }
        let plain = try ids { _ in }
        let session = try ids { $0.newSession = true }
        let group = try ids { $0.processGroup = 0 }
        #expect(plain == [getpgrp(), getsid(0)])
        #expect(session.count == 2 && session[0] != getpgrp() && session[1] != getsid(0))
        #expect(group.count == 2 && group[0] != getpgrp() && group[1] == getsid(0))
    }

    @Test func missingExecutableIsASpawnError() {
        let error = #expect(throws: SpawnError.self) {
            try Spawn(executable: "/nonexistent/tool", arguments: ["tool"]).start()
        }
        #expect(error?.errno == ENOENT)
        #expect(error?.operation == "posix_spawn")
    }
}
