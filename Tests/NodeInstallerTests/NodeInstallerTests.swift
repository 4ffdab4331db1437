import Foundation
import GVisorConfig
import NodeInstaller
import Testing

/// install/uninstall against a temporary host root: real files, a restart command that counts its runs.
@Suite("node installer")
struct NodeInstallerTests {
    /// A host root with containerd's config, an image content directory and a counting restart command.
    struct Node {
        let base: String
        var hostRoot: String { base + "/host" }
        var content: String { base + "/content" }
        var restarts: String { base + "/restarts" }
        var layout: NodeLayout { NodeLayout(hostRoot: hostRoot, content: content) }

        init(config fixtureCase: String = "v2-fresh") throws {
            base = try makeTemporaryDirectory()
            let files = FileManager.default
            try files.createDirectory(atPath: hostRoot + "/etc/containerd", withIntermediateDirectories: true)
            try files.createDirectory(atPath: content, withIntermediateDirectories: true)
            try fixture("\(fixtureCase)/config.toml").write(
                toFile: hostRoot + "/etc/containerd/config.toml", atomically: true, encoding: .utf8)
            try writeContent("runsc", "#!/bin/sh\necho runsc-1\n")
            try writeContent("containerd-shim-runsc-v1", "#!/bin/sh\necho shim-1\n")
        }

        func writeContent(_ name: String, _ text: String) throws {
            let path = content + "/" + name
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        }

        func installer(flags: [String: String] = [:], restart: String? = nil) throws(InstallerError) -> NodeInstaller {
            NodeInstaller(
                layout: layout,
                runscTOML: try NodeInstaller.runscTOML(configuration: GVisorConfiguration(configFlags: flags)),
                restartCommand: restart ?? "echo restart >> \(restarts)")
        }

        func host(_ path: String) -> String { hostRoot + path }
        func read(_ path: String) -> String? { try? String(contentsOfFile: host(path), encoding: .utf8) }
        var restartCount: Int {
            ((try? String(contentsOfFile: restarts, encoding: .utf8)) ?? "").split(separator: "\n").count
        }
        func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: host(path)) }
        func inode(_ path: String) throws -> UInt64 {
            try #require(FileManager.default.attributesOfItem(atPath: host(path))[.systemFileNumber] as? UInt64)
        }
        /// Every file under the host root with its content, to prove that nothing changed.
        func snapshot() throws -> [String: Data] {
            var result: [String: Data] = [:]
            let enumerator = FileManager.default.enumerator(atPath: hostRoot)
            while let relative = enumerator?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: hostRoot + "/" + relative, isDirectory: &isDirectory)
                result[relative] =
                    isDirectory.boolValue ? Data() : FileManager.default.contents(atPath: hostRoot + "/" + relative)
            }
            return result
        }
        func remove() { removeTemporaryDirectory(base) }
    }

    @Test func installWritesEverythingOnceAndRestartsOnce() throws {
        let node = try Node()
        defer { node.remove() }
        let report = try node.installer(flags: ["net-raw": "true"]).install()
        #expect(report.restarted)
        #expect(node.restartCount == 1)
        #expect(
            report.changes.map(\.description) == [
                "installed /var/bin/containerruntimes/runsc (runsc)",
                "installed /var/bin/containerruntimes/containerd-shim-runsc-v1 (containerd-shim-runsc-v1)",
                "installed /etc/containerd/runsc.toml (runsc.toml)",
                "updated /etc/containerd/config.toml (containerd config: handler runsc registered)",
            ])
        #expect(node.read("/var/bin/containerruntimes/runsc") == "#!/bin/sh\necho runsc-1\n")
        #expect(FileManager.default.isExecutableFile(atPath: node.host("/var/bin/containerruntimes/runsc")))
        #expect(node.read("/etc/containerd/runsc.toml") == RunscConfigFlags(netRaw: true).runscTOML())
        #expect(node.read("/etc/containerd/config.toml") == (try fixture("v2-fresh/installed.toml")))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: node.host("/etc/containerd"))
        #expect(leftovers.sorted() == ["config.toml", "runsc.toml"], "no temporary files are left")

        let before = try node.snapshot()
        let again = try node.installer(flags: ["net-raw": "true"]).install()
        #expect(again.changes.isEmpty)
        #expect(!again.restarted)
        #expect(node.restartCount == 1, "a second install restarts nothing")
        #expect(try node.snapshot() == before, "a second install writes nothing")
        #expect(again.lines == ["nothing changed", "containerd not restarted (its configuration did not change)"])
    }

    @Test func changedFlagsRewriteRunscTOMLAndRestartOnce() throws {
        let node = try Node()
        defer { node.remove() }
        _ = try node.installer(flags: ["net-raw": "true"]).install()
        let report = try node.installer(flags: ["net-raw": "true", "debug": "true"]).install()
        #expect(report.changes.map(\.description) == ["updated /etc/containerd/runsc.toml (runsc.toml)"])
        #expect(report.restarted)
        #expect(node.restartCount == 2)
        #expect(node.read("/etc/containerd/runsc.toml") == RunscConfigFlags(netRaw: true, debug: true).runscTOML())
    }

    @Test func newBinariesAreRenamedInWithoutRestart() throws {
        let node = try Node()
        defer { node.remove() }
        _ = try node.installer().install()
        let oldInode = try node.inode("/var/bin/containerruntimes/containerd-shim-runsc-v1")
        // A running shim holds the old file open: it must keep reading the old bytes.
        let running = try #require(
            FileHandle(forReadingAtPath: node.host("/var/bin/containerruntimes/containerd-shim-runsc-v1")))
        defer { try? running.close() }
        try node.writeContent("containerd-shim-runsc-v1", "#!/bin/sh\necho shim-2\n")

        let report = try node.installer().install()
        #expect(
            report.changes.map(\.description) == [
                "updated /var/bin/containerruntimes/containerd-shim-runsc-v1 (containerd-shim-runsc-v1)"
            ])
        #expect(!report.restarted)
        #expect(node.restartCount == 1)
        #expect(try node.inode("/var/bin/containerruntimes/containerd-shim-runsc-v1") != oldInode)
        #expect(String(decoding: running.readDataToEndOfFile(), as: UTF8.self) == "#!/bin/sh\necho shim-1\n")
        #expect(node.read("/var/bin/containerruntimes/containerd-shim-runsc-v1") == "#!/bin/sh\necho shim-2\n")
    }

    @Test func helperBinariesFollowTheContent() throws {
        let node = try Node()
        defer { node.remove() }
        try node.writeContent("gvisor-bin/helper-a", "a")
        try node.writeContent("gvisor-bin/helper-b", "b")
        _ = try node.installer().install()
        #expect(node.read("/var/bin/containerruntimes/gvisor-bin/helper-a") == "a")
        #expect(node.read("/var/bin/containerruntimes/gvisor-bin/helper-b") == "b")
        try FileManager.default.removeItem(atPath: node.content + "/gvisor-bin/helper-b")
        let report = try node.installer().install()
        #expect(
            report.changes.map(\.description) == [
                "removed /var/bin/containerruntimes/gvisor-bin/helper-b (stale gVisor helper)"
            ])
        #expect(!report.restarted)
        _ = try node.installer().uninstall()
        #expect(!node.exists("/var/bin/containerruntimes/gvisor-bin"))
    }

    @Test(arguments: ["v1-fresh", "v2-fresh", "v3-fresh", "v4-fresh"])
    func uninstallRestoresTheNode(_ fixtureCase: String) throws {
        let node = try Node(config: fixtureCase)
        defer { node.remove() }
        let original = node.read("/etc/containerd/config.toml")
        _ = try node.installer().install()
        let report = try node.installer().uninstall()
        #expect(report.restarted)
        #expect(node.restartCount == 2)
        #expect(node.read("/etc/containerd/config.toml") == original)
        #expect(!node.exists("/etc/containerd/runsc.toml"))
        #expect(!node.exists("/var/bin/containerruntimes/runsc"))
        #expect(!node.exists("/var/bin/containerruntimes/containerd-shim-runsc-v1"))
        let again = try node.installer().uninstall()
        #expect(again.changes.isEmpty)
        #expect(!again.restarted)
        #expect(node.restartCount == 2)
    }

    /// gardener-node-agent (`ensureContainerdConfiguration`) owns config.toml but edits it in place: it decodes
    /// the file, sets its own keys and encodes it again, so runsc's tables stay. The handler therefore lives in
    /// config.toml even when it imports conf.d: node-agent's later changes apply directly, and nothing here
    /// rewrites them or restarts containerd for them.
    @Test func handlerStaysInConfigTomlUnderNodeAgent() throws {
        let node = try Node(config: "v2-imports")
        defer { node.remove() }
        let original = try #require(node.read("/etc/containerd/config.toml"))
        let report = try node.installer().install()
        #expect(report.changes.map(\.path).contains("/etc/containerd/config.toml"))
        #expect(!node.exists("/etc/containerd/conf.d/gvisor-runsc.toml"))
        let installed = try #require(node.read("/etc/containerd/config.toml"))
        #expect(installed.contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runsc]"))
        #expect(try node.installer().install().changes.isEmpty)
        let restarts = node.restartCount

        // node-agent changes one of its settings in place (and restarts containerd itself): nothing to fight.
        let edited = installed.replacingOccurrences(of: "enable_cdi = true", with: "enable_cdi = false")
        try edited.write(toFile: node.host("/etc/containerd/config.toml"), atomically: true, encoding: .utf8)
        let after = try node.installer().install()
        #expect(after.changes.isEmpty)
        #expect(!after.restarted)
        #expect(node.restartCount == restarts)
        #expect(node.read("/etc/containerd/config.toml") == edited)

        _ = try node.installer().uninstall()
        #expect(
            node.read("/etc/containerd/config.toml")
                == original.replacingOccurrences(of: "enable_cdi = true", with: "enable_cdi = false"))
    }

    /// An older gvisor-node put the handler and a copy of the CRI section into conf.d/gvisor-runsc.toml; install
    /// moves the handler back into config.toml and removes that drop-in, with one restart.
    @Test func olderDropInIsReplacedByTheHandlerInConfigToml() throws {
        let node = try Node(config: "v2-imports")
        defer { node.remove() }
        try FileManager.default.createDirectory(
            atPath: node.host("/etc/containerd/conf.d"), withIntermediateDirectories: true)
        try (try fixture("v2-imports/dropin.toml")).write(
            toFile: node.host("/etc/containerd/conf.d/gvisor-runsc.toml"), atomically: true, encoding: .utf8)
        let report = try node.installer().install()
        #expect(
            report.changes.map(\.description).contains(
                "removed /etc/containerd/conf.d/gvisor-runsc.toml (containerd drop-in of an older gvisor-node "
                    + "(the handler is in config.toml now))"))
        #expect(!node.exists("/etc/containerd/conf.d/gvisor-runsc.toml"))
        #expect(node.read("/etc/containerd/config.toml")?.contains("containerd.runtimes.runsc]") == true)
        #expect(report.restarted)
        #expect(node.restartCount == 1)
    }

    @Test func missingContentIsANamedErrorAndNothingIsWritten() throws {
        let node = try Node()
        defer { node.remove() }
        try FileManager.default.removeItem(atPath: node.content + "/containerd-shim-runsc-v1")
        let before = try node.snapshot()
        #expect(
            throws: InstallerError.contentMissing(
                path: node.content + "/containerd-shim-runsc-v1", what: "containerd-shim-runsc-v1")
        ) {
            try node.installer().install()
        }
        #expect(try node.snapshot() == before)
        #expect(node.restartCount == 0)
    }

    @Test func malformedConfigIsANamedErrorAndNothingIsWritten() throws {
        let node = try Node()
        defer { node.remove() }
        try "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"\n".write(
            toFile: node.host("/etc/containerd/config.toml"), atomically: true, encoding: .utf8)
        let before = try node.snapshot()
        let installer = try node.installer()
        do {
            _ = try installer.install()
            Issue.record("install accepted a malformed config")
        } catch {
            #expect(error.description.hasPrefix(node.host("/etc/containerd/config.toml") + ", line 2, column"))
        }
        #expect(try node.snapshot() == before)
    }

    @Test func missingConfigIsANamedError() throws {
        let node = try Node()
        defer { node.remove() }
        try FileManager.default.removeItem(atPath: node.host("/etc/containerd/config.toml"))
        #expect(throws: InstallerError.containerdConfigMissing(path: node.host("/etc/containerd/config.toml"))) {
            try node.installer().install()
        }
        #expect(!node.exists("/var/bin/containerruntimes/runsc"))
    }

    @Test func unwritableTargetIsANamedErrorAndNothingIsHalfWritten() throws {
        let node = try Node()
        defer { node.remove() }
        // The binary directory's parent is a file: no directory, no file can be made there.
        try FileManager.default.createDirectory(atPath: node.host("/var"), withIntermediateDirectories: true)
        try "not a directory".write(toFile: node.host("/var/bin"), atomically: true, encoding: .utf8)
        let before = try node.snapshot()
        let installer = try node.installer()
        do {
            _ = try installer.install()
            Issue.record("install into an unwritable target succeeded")
        } catch {
            guard case .writeFailed(let path, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(path == node.host("/var/bin"), "the error names the path that is in the way")
        }
        #expect(try node.snapshot() == before)
        #expect(node.restartCount == 0)
    }

    @Test func failedRestartIsANamedError() throws {
        let node = try Node()
        defer { node.remove() }
        #expect(
            throws: InstallerError.restartFailed(
                command: "echo no systemd here; exit 3", status: "exit status 3", output: "no systemd here")
        ) {
            try node.installer(restart: "echo no systemd here; exit 3").install()
        }
    }

    @Test func runscTOMLRendering() throws {
        let text = try NodeInstaller.runscTOML(
            configuration: GVisorConfiguration(configFlags: ["debug": "false"]), extraFlags: ["network": "none"])
        #expect(text == RunscTOML.render(runscConfig: ["debug": "false", "network": "none"]))
        #expect(throws: InstallerError.self) {
            try NodeInstaller.runscTOML(configuration: GVisorConfiguration(configFlags: ["platform": "kvm"]))
        }
        do {
            _ = try NodeInstaller.runscTOML(configuration: .empty, extraFlags: ["--network": "none"])
            Issue.record("a flag name with dashes was accepted")
        } catch {
            #expect(error.description.contains("runsc_config.--network: not a runsc flag name"))
        }
    }

    @Test func defaultLayout() {
        let layout = NodeLayout()
        #expect(layout.onHost("/etc/containerd/config.toml") == "/var/host/etc/containerd/config.toml")
        #expect(layout.defaultRestartCommand == "chroot /var/host systemctl restart containerd")
        #expect(NodeLayout(hostRoot: "/").onHost("/etc/x") == "/etc/x")
    }
}
