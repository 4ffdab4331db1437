import Foundation
import GVisorConfig
import Glibc
import NIOPosix
import OCI
import ShimAPI
import SwiftProtobuf
import TTRPC
import Testing

@testable import Shim

/// containerd's Task semantics where runsc allows them (issue 18): the runc option types, ShimCgroup, IoUid/IoGid,
/// the executable check at Create, runsc's id prefixes, metrics from the sandbox's cgroup and Update's limits.
/// End to end: integration/tests/65-task-semantics.sh.
struct TaskSemanticsTests {
    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("semantics-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    private func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    // MARK: Runtime options

    /// containerd's client sends `containerd.linux.runc.CreateOptions` to non-runc runtimes (WithUIDOwner,
    /// WithGIDOwner, WithShimCgroup, WithNoPivotRoot): the owner and cgroup apply, the rest is named as ignored.
    @Test func runcCreateOptionsApplyOwnerAndCgroupAndNameTheRest() throws {
        let options = Containerd_Linux_Runc_CreateOptions.with {
            $0.ioUid = 1000
            $0.ioGid = 1001
            $0.shimCgroup = "/pod/shim"
            $0.noPivotRoot = true
            $0.emptyNamespaces = ["network"]
        }
        let decoded = try RuntimeOptions(decoding: try TypeURL.pack(options))
        #expect(decoded.ioUID == 1000 && decoded.ioGID == 1001 && decoded.shimCgroup == "/pod/shim")
        #expect(decoded.configPath == nil)
        #expect(
            decoded.ignored == [
                "containerd.linux.runc.CreateOptions.no_pivot_root",
                "containerd.linux.runc.CreateOptions.empty_namespaces",
            ])
        let config = decoded.applied(to: RunscShimConfig(root: "/run/x", ioUID: 5))
        #expect(config.ioUID == 1000 && config.ioGID == 1001 && config.shimCgroup == "/pod/shim")
        #expect(config.root == "/run/x")
    }

    /// runc-v2's own `containerd.runc.v1.Options`: BinaryName, Root and SystemdCgroup mean the same to runsc.
    @Test func runcV1OptionsMapBinaryRootAndSystemdCgroup() throws {
        let options = Containerd_Runc_V1_Options.with {
            $0.binaryName = "/opt/runsc"
            $0.root = "/run/other"
            $0.systemdCgroup = true
            $0.criuPath = "/usr/sbin/criu"
            $0.noNewKeyring = true
        }
        let decoded = try RuntimeOptions(decoding: try TypeURL.pack(options))
        #expect(
            decoded.ignored == ["containerd.runc.v1.Options.no_new_keyring", "containerd.runc.v1.Options.criu_path"])
        let config = decoded.applied(to: RunscShimConfig(runscConfig: ["platform": "ptrace"]))
        #expect(config.binaryName == "/opt/runsc" && config.root == "/run/other")
        #expect(config.runscConfig == ["platform": "ptrace", "systemd-cgroup": "true"])
    }

    @Test func runtimeOptionsStayThePrimaryTypeAndOthersAreNamed() throws {
        let decoded = try RuntimeOptions(
            decoding: try TypeURL.pack(Runtimeoptions_V1_Options.with { $0.configPath = "/etc/r.toml" }))
        #expect(decoded.configPath == "/etc/r.toml" && decoded.ignored.isEmpty)
        var unknown = Google_Protobuf_Any()
        unknown.typeURL = "example.com/Other"
        #expect {
            try RuntimeOptions(decoding: unknown)
        } throws: { error in
            "\(error)".contains("unsupported runtime options type \"example.com/Other\"")
                && "\(error)".contains("containerd.linux.runc.CreateOptions")
        }
        // `start` reads the same Any from stdin; anything else there (BootstrapParams, nothing) is no options.
        let bytes: [UInt8] = try TypeURL.pack(Containerd_Linux_Runc_CreateOptions.with { $0.shimCgroup = "/x" })
            .serializedBytes()
        #expect(RuntimeOptions.fromStartInput(bytes)?.shimCgroup == "/x")
        #expect(RuntimeOptions.fromStartInput([]) == nil)
    }

    // MARK: ShimCgroup

    /// v1: every hierarchy that has the path gets the pid (links such as `cpuacct -> cpu,cpuacct` and the
    /// hybrid `unified` mount are skipped); a path no hierarchy has is an error, as in cgroup1.Load.
    @Test func shimJoinsItsCgroupInEveryV1HierarchyThatHasIt() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for hierarchy in ["memory", "cpu,cpuacct", "unified"] {
            try write("", to: "\(root)/\(hierarchy)/pod/shim/cgroup.procs")
        }
        try FileManager.default.createDirectory(atPath: "\(root)/pids", withIntermediateDirectories: true)
        symlink("cpu,cpuacct", "\(root)/cpuacct")
        try ShimCgroup.join(pid: 4242, path: "/pod/shim", root: root)
        #expect(read("\(root)/memory/pod/shim/cgroup.procs") == "4242\n")
        #expect(read("\(root)/cpu,cpuacct/pod/shim/cgroup.procs") == "4242\n")
        #expect(read("\(root)/unified/pod/shim/cgroup.procs") == "")
        #expect(throws: ShimCgroup.Failure.self) { try ShimCgroup.join(pid: 1, path: "/nope", root: root) }
        #expect(throws: ShimCgroup.Failure.self) { try ShimCgroup.join(pid: 1, path: "/pod/../..", root: root) }
    }

    @Test func shimJoinsItsUnifiedCgroup() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("cpu memory\n", to: "\(root)/cgroup.controllers")
        try write("", to: "\(root)/pod/shim/cgroup.procs")
        try ShimCgroup.join(pid: 77, path: "pod/shim", root: root)
        #expect(read("\(root)/pod/shim/cgroup.procs") == "77\n")
    }

    // MARK: IoUid / IoGid

    /// go-runc's NewPipeIO chowns the process's pipe ends to IoUid/IoGid; so does ContainerIO with an owner.
    @Test func stdioPipesBelongToTheIOOwner() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in ["in", "out", "err"] { #expect(mkfifo("\(directory)/\(name)", 0o600) == 0) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let io = try ContainerIO(
            paths: .init(stdin: "\(directory)/in", stdout: "\(directory)/out", stderr: "\(directory)/err"),
            eventLoop: group.next(), owner: ContainerIO.Owner(uid: 1000, gid: 1001))
        for fd in [io.childStdin, io.childStdout, io.childStderr] {
            var info = stat()
            #expect(fstat(fd, &info) == 0)
            #expect(info.st_uid == 1000 && info.st_gid == 1001)
        }
        io.releaseAll()
        #expect(ContainerIO.Owner(uid: 0, gid: 0) == nil)
        try await group.shutdownGracefully()
    }

    // MARK: Executable check

    /// A rootfs with busybox behind an absolute symlink: the link is followed inside the rootfs, never on the
    /// host (where /bin/true exists but must not count).
    private func rootfs() throws -> String {
        let root = try temporaryDirectory()
        try write("#!/bin/busybox\n", to: "\(root)/bin/busybox")
        chmod("\(root)/bin/busybox", 0o755)
        symlink("/bin/busybox", "\(root)/bin/sh")
        symlink("../bin", "\(root)/sbin")
        try write("data", to: "\(root)/etc/motd")
        return root
    }

    private func spec(
        _ args: [String], env: [String] = ["PATH=/usr/bin:/sbin"], cwd: String = "/", mounts: [String] = []
    )
        -> ExecutableCheck.Spec
    {
        .init(
            process: .init(args: args, env: env, cwd: cwd), root: nil,
            mounts: mounts.map { .init(destination: $0) })
    }

    @Test func executableIsFoundThroughPathAndSymlinksInsideTheRootfs() throws {
        let root = try rootfs()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try ExecutableCheck(rootfs: root, spec: spec(["sh", "-c", "true"])).check()
        try ExecutableCheck(rootfs: root, spec: spec(["/sbin/sh"])).check()
        try ExecutableCheck(rootfs: root, spec: spec(["../bin/busybox"], cwd: "/etc")).check()
        #expect(
            ExecutableCheck(rootfs: root, spec: spec(["/bin/true"])).lookUp("/bin/true")
                == .missing("No such file or directory"))
    }

    /// runc's messages: `exec: "x": executable file not found in $PATH` and `exec: "/x": stat /x: ...`.
    @Test func missingExecutablesAreNamedAsRuncNamesThem() throws {
        let root = try rootfs()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cases: [([String], [String], String)] = [
            (
                ["nosuch"], ["PATH=/usr/bin:/sbin"],
                "exec: \"nosuch\": executable file not found in $PATH (PATH=/usr/bin:/sbin"
            ),
            (["sh"], [], "exec: \"sh\": executable file not found in $PATH (PATH= "),
            (["/no/such"], [], "exec: \"/no/such\": stat /no/such: No such file or directory"),
            (["/etc/motd"], [], "stat /etc/motd: Permission denied"),
            (["/etc"], [], "stat /etc: is a directory"),
        ]
        for (args, env, message) in cases {
            #expect {
                try ExecutableCheck(rootfs: root, spec: spec(args, env: env)).check()
            } throws: { error in
                "\(error)".contains(message)
            }
        }
    }

    /// A binary on one of the spec's mounts (a volume) cannot be judged from the rootfs: the check passes.
    @Test func executablesOnMountsAreLeftToRunsc() throws {
        let root = try rootfs()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try ExecutableCheck(rootfs: root, spec: spec(["/opt/tools/run"], mounts: ["/opt/tools"])).check()
        try ExecutableCheck(rootfs: root, spec: spec(["tool"], env: ["PATH=/opt/tools:/bin"], mounts: ["/opt/tools/"]))
            .check()
    }

    // MARK: runsc id prefixes

    /// runsc 20221219 and 20240729 resolve `web` by prefix, so `web` and `web-2` in one root make `web` ambiguous.
    @Test func idsThatPrefixAnotherRunscContainerAreRefused() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("{}", to: "\(root)/web_sandbox:web.state")
        try write("", to: "\(root)/web_sandbox:web.lock")
        try write("{}", to: "\(root)/pod_sandbox:app-1.state")
        #expect(Set(ShimService.runscContainerIDs(runscRoot: root)) == ["web", "app-1"])
        try ShimService.checkIDPrefixes("db", runscRoot: root)
        try ShimService.checkIDPrefixes("web", runscRoot: root)
        for (id, relation) in [("web-2", "has the prefix \"web\""), ("app", "is a prefix of \"app-1\"")] {
            #expect {
                try ShimService.checkIDPrefixes(id, runscRoot: root)
            } throws: { error in
                TTRPCError(mapping: error).code == .failedPrecondition && "\(error)".contains(relation)
            }
        }
        try ShimService.checkIDPrefixes("web-2", runscRoot: root + "/missing")
    }

    // MARK: Sandbox cgroup

    private func v1Cgroup() throws -> (root: String, cgroup: SandboxCgroup) {
        let root = try temporaryDirectory()
        try write(
            "9:name=systemd:/\n8:pids:/ns/c1\n4:memory:/ns/c1\n2:cpuacct:/ns/c1\n1:cpu:/ns/c1\n0::/\n",
            to: "\(root)/proc/42/cgroup")
        let cg = "\(root)/cg"
        for (file, value) in [
            ("memory/ns/c1/memory.usage_in_bytes", "2027520\n"), ("memory/ns/c1/memory.limit_in_bytes", "67108864\n"),
            ("memory/ns/c1/memory.max_usage_in_bytes", "3000000\n"), ("memory/ns/c1/memory.failcnt", "0\n"),
            ("memory/ns/c1/memory.stat", "cache 4096\nrss 1000000\n"), ("cpuacct/ns/c1/cpuacct.usage", "75407097\n"),
            ("cpuacct/ns/c1/cpuacct.usage_percpu", "70000000 5407097 \n"),
            ("cpuacct/ns/c1/cpuacct.stat", "user 3\nsystem 2\n"),
            ("cpu/ns/c1/cpu.stat", "nr_periods 4\nnr_throttled 1\nthrottled_time 900\n"),
            ("cpu/ns/c1/cpu.shares", "1024\n"), ("cpu/ns/c1/cpu.cfs_quota_us", "-1\n"),
            ("cpu/ns/c1/cpu.cfs_period_us", "100000\n"), ("pids/ns/c1/pids.current", "26\n"),
            ("pids/ns/c1/pids.max", "max\n"),
        ] {
            try write(value, to: "\(cg)/\(file)")
        }
        let cgroup = try #require(SandboxCgroup(pid: 42, proc: "\(root)/proc", root: cg, unifiedHost: false))
        return (root, cgroup)
    }

    /// runsc 20221219's `events --stats` panics before start; the sandbox's v1 cgroup gives the same counters.
    @Test func statsComeFromTheSandboxsV1Cgroup() throws {
        let (root, cgroup) = try v1Cgroup()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(cgroup.v1["memory"] == "\(root)/cg/memory/ns/c1" && cgroup.unified == nil)
        let stats = cgroup.stats(id: "c1")
        #expect(stats.memory?.usage == .init(usage: 2_027_520, max: 3_000_000, limit: 67_108_864))
        #expect(stats.memory?.cache == 4096 && stats.memory?.raw["rss"] == 1_000_000)
        #expect(
            stats.cpu?.usage
                == .init(total: 75_407_097, kernel: 20_000_000, user: 30_000_000, perCPU: [70_000_000, 5_407_097]))
        #expect(stats.cpu?.throttling == .init(periods: 4, throttledPeriods: 1, throttledTime: 900))
        #expect(stats.pids == .init(current: 26, limit: 0))
        #expect(StatsConversion.v1(stats).memory.usage.usage == 2_027_520)
    }

    @Test func updateLimitsGoToTheSandboxsHostCgroup() throws {
        let (root, cgroup) = try v1Cgroup()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let resources = try JSONValue.decode(
            Array(
                #"{"memory":{"limit":100000000},"cpu":{"shares":512,"quota":50000,"period":100000},"devices":[]}"#.utf8),
            file: "resources")
        let limits = ResourceLimits(resources: resources)
        #expect(
            limits == ResourceLimits(memoryLimit: 100_000_000, cpuShares: 512, cpuQuota: 50_000, cpuPeriod: 100_000))
        try cgroup.apply(limits)
        #expect(read("\(root)/cg/memory/ns/c1/memory.limit_in_bytes") == "100000000")
        #expect(read("\(root)/cg/cpu/ns/c1/cpu.shares") == "512")
        #expect(read("\(root)/cg/cpu/ns/c1/cpu.cfs_quota_us") == "50000")
        #expect(
            limits.v1Controls.map(\.file) == [
                "memory.limit_in_bytes", "cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us",
            ])
        #expect(
            ResourceLimits(resources: try JSONValue.decode(Array(#"{"pids":{"limit":5}}"#.utf8), file: "r")).isEmpty)
    }

    /// runc's conversions for a unified host: shares to weight, quota and period to cpu.max, -1 to max.
    @Test func unifiedControlsConvertAsRuncDoes() {
        let limits = ResourceLimits(memoryLimit: -1, cpuShares: 1024, cpuQuota: 50_000)
        #expect(
            limits.v2Controls == [
                .init(controller: "memory", file: "memory.max", value: "max"),
                .init(controller: "cpu", file: "cpu.weight", value: "39"),
                .init(controller: "cpu", file: "cpu.max", value: "50000 100000"),
            ])
    }

    @Test func statsComeFromTheSandboxsUnifiedCgroup() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("0::/ns/c2\n", to: "\(root)/proc/7/cgroup")
        for (file, value) in [
            ("memory.current", "4096\n"), ("memory.max", "max\n"), ("memory.stat", "anon 1024\nfile 2048\n"),
            ("cpu.stat", "usage_usec 10\nuser_usec 6\nsystem_usec 4\n"), ("pids.current", "3\n"),
        ] {
            try write(value, to: "\(root)/cg/ns/c2/\(file)")
        }
        let cgroup = try #require(SandboxCgroup(pid: 7, proc: "\(root)/proc", root: "\(root)/cg", unifiedHost: true))
        let stats = cgroup.stats(id: "c2")
        #expect(stats.memory?.usage.usage == 4096 && stats.memory?.usage.limit == 0 && stats.memory?.cache == 2048)
        #expect(stats.cpu?.usage.total == 10_000 && stats.cpu?.usage.user == 6_000)
        #expect(StatsConversion.v2(stats).memory.anon == 1024)
        #expect(SandboxCgroup(pid: 8, proc: "\(root)/proc", unifiedHost: true) == nil)
    }
}
