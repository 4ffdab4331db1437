import Glibc
import HostOS

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
        let spawn = Spawn(
            executable: argv[0], arguments: argv,
            descriptors: [.null, .duplicate(pipeEnds[1]), .duplicate(pipeEnds[1])])
        let pid: pid_t
        do {
            pid = try spawn.start()
        } catch {
            close(pipeEnds[0])
            close(pipeEnds[1])
            return Result(
                status: "cannot start \(argv[0]): \(String(cString: strerror(error.errno)))", succeeded: false,
                output: "")
        }
        close(pipeEnds[1])
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
        let text = String(decoding: output, as: UTF8.self).trimmingWhitespace
        let status: WaitStatus
        do { status = try WaitStatus.wait(for: pid) } catch {
            return Result(status: "\(error)", succeeded: false, output: text)
        }
        if timedOut {
            return Result(status: "timed out after \(timeoutSeconds)s", succeeded: false, output: text)
        }
        return Result(status: status.description, succeeded: status.isSuccess, output: text)
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
