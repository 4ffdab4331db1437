import Foundation
import Testing

@testable import Shim

struct ShimDeleteTests {
    @Test func runscIsAskedOnlyWhenItsRootMayHoldTheContainer() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("runsc-root-\(UUID().uuidString)").path
        #expect(!ShimDelete.runscMayKnow(id: "c1", root: root), "a missing root holds nothing")
        #expect(ShimDelete.runscMayKnow(id: "c1", root: ""), "no root recorded: ask runsc")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(!ShimDelete.runscMayKnow(id: "c1", root: root))
        #expect(FileManager.default.createFile(atPath: "\(root)/pod_sandbox:c10.state", contents: Data()))
        #expect(!ShimDelete.runscMayKnow(id: "c1", root: root), "another container's state")
        #expect(FileManager.default.createFile(atPath: "\(root)/pod_sandbox:c1.state", contents: Data()))
        #expect(ShimDelete.runscMayKnow(id: "c1", root: root))
        try FileManager.default.createDirectory(atPath: "\(root)/old", withIntermediateDirectories: true)
        #expect(ShimDelete.runscMayKnow(id: "old", root: root), "older runsc keeps a directory per container")
    }

    @Test func staleLocksOfADeadSandboxAreRemovedAndLiveOnesKept() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("runsc-root-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        func touch(_ name: String) {
            #expect(FileManager.default.createFile(atPath: "\(root)/\(name)", contents: Data()))
        }
        touch("pod_sandbox:pod.state")
        touch("pod_sandbox:pod.lock")
        touch("app_sandbox:pod.lock")
        #expect(ShimDelete.removeStaleLocks(root: root, sandboxID: "pod").isEmpty, "the sandbox lives: keep all")
        try FileManager.default.removeItem(atPath: "\(root)/pod_sandbox:pod.state")
        touch("app2_sandbox:pod.state")
        touch("app2_sandbox:pod.lock")
        touch("other_sandbox:other.lock")
        let removed = ShimDelete.removeStaleLocks(root: root, sandboxID: "pod").sorted()
        #expect(removed == ["app_sandbox:pod.lock", "pod_sandbox:pod.lock"])
        let left = try FileManager.default.contentsOfDirectory(atPath: root).sorted()
        #expect(left == ["app2_sandbox:pod.lock", "app2_sandbox:pod.state", "other_sandbox:other.lock"])
    }

    /// The dead daemon's runsc children are recognised by their arguments (no process is spawned here: a fork
    /// in a parallel test can make another test's fresh script fail with ETXTBSY).
    @Test func runscChildrenAreRecognisedByRootAndId() async {
        func cmdline(_ arguments: String...) -> [UInt8] { Array(arguments.joined(separator: "\0").utf8) + [0] }
        let wait = cmdline("runsc", "--root=/run/r/k8s.io", "--log=/b/log.json", "wait", "c1")
        #expect(ShimDelete.commandLine(wait, names: "/run/r/k8s.io", id: "c1"))
        #expect(!ShimDelete.commandLine(wait, names: "/run/r/k8s.io", id: "c"), "whole arguments only")
        #expect(!ShimDelete.commandLine(wait, names: "/run/r", id: "c1"))
        #expect(!ShimDelete.commandLine(cmdline("sleep", "c1"), names: "/run/r/k8s.io", id: "c1"))
        #expect(ShimDelete.runscProcesses(root: "/nonexistent/\(UUID().uuidString)", id: "c1").isEmpty)
        #expect(await ShimDelete.waitForRunscProcesses(root: "/nonexistent/x", id: "c1", timeout: .milliseconds(10)))
    }
}
