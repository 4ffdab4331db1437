import Foundation
import GVisorConfig
import Glibc
import NIOPosix
import Testing

@testable import Shim

/// Debug-log directories that cannot take a file (here: a path through a regular file, which fails for root
/// too) drop their runsc flags instead of stopping the container; usable ones are kept. The read-only mount
/// and full tmpfs cases run end to end in integration/tests/80-faults.sh.
struct LogDirectoryTests {
    static let id = try! ContainerID("logdir-1")

    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("logdir-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func unusableDirectoryDropsDebugLogAndDebug() async throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(FileManager.default.createFile(atPath: root + "/file", contents: Data()))
        let config = RunscShimConfig(runscConfig: [
            "debug": "true", "debug-log": root + "/file/%ID%/gvisor-%COMMAND%.log", "panic-log": root + "/ok/%ID%/",
            "platform": "ptrace",
        ])
        try await withService { service in
            let usable = service.usableLogPaths(config, id: Self.id)
            #expect(usable.runscConfig == ["panic-log": root + "/ok/%ID%/", "platform": "ptrace"])
        }
        #expect(LogDirectoryProbe.check(root + "/file/x")?.errno == ENOTDIR)
        #expect(LogDirectoryProbe.check(root + "/ok/logdir-1") == nil)
        let left = try FileManager.default.contentsOfDirectory(atPath: root + "/ok/logdir-1")
        #expect(left.isEmpty, "the probe file is removed")
    }

    @Test func usableDirectoriesKeepEveryFlag() async throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = RunscShimConfig(runscConfig: ["debug": "true", "debug-log": root + "/%ID%/gvisor-%COMMAND%.log"])
        try await withService { service in
            #expect(service.usableLogPaths(config, id: Self.id).runscConfig == config.runscConfig)
        }
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: root + "/logdir-1", isDirectory: &isDirectory))
    }
}
