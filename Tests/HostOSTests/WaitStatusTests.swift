import Glibc
import HostOS
import Testing

struct WaitStatusTests {
    /// The status words `waitpid` fills in, built as the kernel does: code << 8 for exits, the signal number
    /// (plus 0x80 for a core dump) for kills.
    @Test(arguments: [
        (Int32(0), WaitStatus.exited(0)), (3 << 8, .exited(3)), (255 << 8, .exited(255)), (9, .signaled(9)),
        (15, .signaled(15)), (0x80 | 6, .signaled(6)),
    ])
    func decodesStatusWords(_ raw: Int32, _ expected: WaitStatus) {
        #expect(WaitStatus(rawValue: raw) == expected)
    }

    /// containerd's exit_status convention (and gVisor's Go shim's): the code, or 128 + the signal.
    @Test func codeFollowsTheShellConvention() {
        #expect(WaitStatus.exited(3).code == 3)
        #expect(WaitStatus.signaled(9).code == 137)
        #expect(WaitStatus.exited(0).isSuccess)
        #expect(!WaitStatus.signaled(15).isSuccess)
        #expect(WaitStatus.signaled(9).description == "killed by signal 9")
        #expect(WaitStatus.exited(2).description == "exit status 2")
    }

    /// Real children, decoded from real `waitpid` words.
    @Test(arguments: [
        ("exit 0", WaitStatus.exited(0)), ("exit 3", .exited(3)), ("kill -KILL $$", .signaled(SIGKILL)),
        ("kill -TERM $$", .signaled(SIGTERM)),
    ])
    func waitsForRealChildren(script: String, expected: WaitStatus) throws {
        let pid = try Spawn(executable: "/bin/sh", arguments: ["sh", "-c", script]).start()
        #expect(try WaitStatus.wait(for: pid) == expected)
    }

    @Test func waitingForANonChildFails() {
        #expect(throws: SystemError.self) { try WaitStatus.wait(for: getpid()) }
    }
}
