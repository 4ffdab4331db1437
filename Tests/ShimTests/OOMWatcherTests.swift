import Foundation
import Glibc
import NIOPosix
import Synchronization
import Testing

@testable import Shim

struct OOMWatcherTests {
    @Test func resolvesTheV1MemoryControllerFromTheMountTable() {
        let cgroupFile = """
            12:pids:/gvisor-test/c1
            9:memory:/gvisor-test/c1
            1:name=systemd:/
            0::/
            """
        let mountInfo = """
            30 25 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            35 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            36 30 0:32 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
            37 30 0:33 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """
        let cgroup = OOMWatcher.Cgroup.resolve(cgroupFile: cgroupFile, mountInfo: mountInfo)
        #expect(cgroup == .init(version: .v1, directory: "/sys/fs/cgroup/memory/gvisor-test/c1"))
    }

    @Test func resolvesTheUnifiedHierarchyAndStripsTheMountRoot() {
        let cgroup = OOMWatcher.Cgroup.resolve(
            cgroupFile: "0::/kubepods/pod1/c1\n",
            mountInfo: "40 30 0:40 /kubepods /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n")
        #expect(cgroup == .init(version: .v2, directory: "/sys/fs/cgroup/pod1/c1"))
        #expect(OOMWatcher.Cgroup.resolve(cgroupFile: "0::/x\n", mountInfo: "") == nil)
    }

    @Test func readsTheOOMKillCounter() {
        #expect(OOMWatcher.Cgroup.counter("oom_kill", in: "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n") == 3)
        #expect(OOMWatcher.Cgroup.counter("oom_kill", in: "low 0\nhigh 0\nmax 2\noom 2\noom_kill 1\n") == 1)
        #expect(OOMWatcher.Cgroup.counter("oom_kill", in: "oom_kill_disable 0\n") == nil)
    }

    /// cgroup v2's notification is inotify on `memory.events`; a plain file behaves the same, so the
    /// event loop's notification, the counter comparison and the one-claim-per-kill rule run for real here.
    @Test func reportsEachNewOOMKillOnceWhoeverClaimsFirst() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("oom-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let events = "\(directory)/memory.events"
        func write(oomKills: Int) throws {
            try "low 0\nhigh 0\nmax 4\noom 1\noom_kill \(oomKills)\n".write(
                toFile: events, atomically: false, encoding: .utf8)
        }
        try write(oomKills: 2)
        let woken = Mutex<[String]>([])
        // The shim's one event loop reads the descriptor, as in the daemon.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let watcher = OOMWatcher(eventLoop: group.next()) { id in woken.withLock { $0.append(id) } }
        #expect(watcher.register(id: "c1", cgroup: .init(version: .v2, directory: directory)))
        #expect(!watcher.claim("c1"), "kills counted before registration are not this container's")

        try write(oomKills: 3)
        for _ in 0..<200 where woken.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(woken.withLock { $0 }.first == "c1")
        #expect(watcher.claim("c1"))
        #expect(!watcher.claim("c1"), "one report per kill")

        try write(oomKills: 4)
        #expect(watcher.claim("c1"), "the exit path's synchronous check sees a kill the thread has not")
        watcher.forget("c1")
        try write(oomKills: 5)
        #expect(!watcher.claim("c1"))
        try await group.shutdownGracefully()
    }
}
