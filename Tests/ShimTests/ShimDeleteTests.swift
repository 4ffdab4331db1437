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
}
