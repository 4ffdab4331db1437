#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Runs a program to completion with stdout and stderr captured together; for the restart command and
/// version probes, which print little.
enum Subprocess {
    struct Result: Sendable, Hashable {
        /// `exit status N`, `killed by signal N`, or `timed out after Ns`.
        var status: String
        var succeeded: Bool
        var output: String
    }

    static func run(_ argv: [String], timeoutSeconds: Int = 300) -> Result {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else {
            return Result(status: "pipe failed: \(String(cString: strerror(errno)))", succeeded: false, output: "")
        }
        _ = fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2)
        var pid: pid_t = 0
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let spawned = cArguments.withUnsafeBufferPointer { arguments in
            posix_spawnp(&pid, argv[0], &actions, nil, UnsafeMutablePointer(mutating: arguments.baseAddress!), environ)
        }
        close(pipeEnds[1])
        guard spawned == 0 else {
            close(pipeEnds[0])
            return Result(
                status: "cannot start \(argv[0]): \(String(cString: strerror(spawned)))", succeeded: false, output: "")
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var timedOut = false
        let deadline = monotonicSeconds() + Double(timeoutSeconds)
        while true {
            let remaining = deadline - monotonicSeconds()
            if remaining <= 0 {
                timedOut = true
                kill(pid, SIGKILL)
                break
            }
            var poller = pollfd(fd: pipeEnds[0], events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remaining, 1) * 1000))
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 { continue }
            let count = buffer.withUnsafeMutableBytes { read(pipeEnds[0], $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            if output.count < 65536 { output.append(contentsOf: buffer[0..<count]) }
        }
        close(pipeEnds[0])
        var waitStatus: Int32 = 0
        while waitpid(pid, &waitStatus, 0) < 0 && errno == EINTR {}
        let text = String(decoding: output, as: UTF8.self).trimmingWhitespace
        if timedOut {
            return Result(status: "timed out after \(timeoutSeconds)s", succeeded: false, output: text)
        }
        let signal = waitStatus & 0x7F
        if signal != 0 { return Result(status: "killed by signal \(signal)", succeeded: false, output: text) }
        let code = (waitStatus >> 8) & 0xFF
        return Result(status: "exit status \(code)", succeeded: code == 0, output: text)
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
