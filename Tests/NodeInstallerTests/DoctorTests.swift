import Foundation
import GVisorConfig
import NodeInstaller
import Testing

/// The doctor against a temporary host root, with the real runsc from Debian and the shim built by this package.
@Suite("doctor")
struct DoctorTests {
    typealias Node = NodeInstallerTests.Node

    /// A node whose content holds the real runsc and the real shim.
    static func realNode(config: String = "v2-fresh") throws -> Node {
        let node = try Node(config: config)
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/runsc") else {
            throw TestSetupError("/usr/bin/runsc is missing: run `make deps` (Debian package runsc)")
        }
        let shim = try builtShim()
        for (source, name) in [("/usr/bin/runsc", "runsc"), (shim, "containerd-shim-runsc-v1")] {
            try? FileManager.default.removeItem(atPath: node.content + "/" + name)
            try FileManager.default.copyItem(atPath: source, toPath: node.content + "/" + name)
        }
        return node
    }

    static func builtShim() throws -> String {
        let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        while directory.pathExtension == "xctest" || directory.lastPathComponent == "Contents" {
            directory.deleteLastPathComponent()
        }
        let shim = directory.appendingPathComponent("containerd-shim-runsc-v1").path
        guard FileManager.default.isExecutableFile(atPath: shim) else {
            throw TestSetupError(
                "containerd-shim-runsc-v1 is not built at \(shim); run `swift build` before `swift test`")
        }
        return shim
    }

    func status(_ report: Doctor.Report, _ id: String) -> Doctor.Status? {
        report.entries.first { $0.id == id }?.result.status
    }

    func summary(_ report: Doctor.Report, _ id: String) -> String {
        report.entries.first { $0.id == id }?.result.summary ?? ""
    }

    @Test func bareNodeIsNotReadyAndSaysWhy() async throws {
        let node = try Node()
        defer { node.remove() }
        let report = await Doctor.run(context: .init(layout: node.layout))
        #expect(!report.isReady)
        #expect(
            report.reasons == [
                "runsc: /var/bin/containerruntimes/runsc is missing (run gvisor-node install)",
                "containerd-shim-runsc-v1: /var/bin/containerruntimes/containerd-shim-runsc-v1 is missing (run gvisor-node install)",
                "containerd handler runsc: handler runsc is not registered in /etc/containerd/config.toml",
                "runsc.toml: /etc/containerd/runsc.toml is missing or unreadable",
            ])
        #expect(report.text.hasSuffix("not ready:\n" + report.reasons.map { "  - \($0)\n" }.joined()))
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        #expect(json["ready"] as? Bool == false)
        #expect(
            (json["checks"] as? [[String: Any]])?.map { $0["id"] as? String } == [
                "runsc", "shim", "containerd-config", "runsc-toml", "platform", "cgroups", "capabilities", "gpus",
            ])
    }

    @Test func installedNodeIsReady() async throws {
        let node = try Self.realNode()
        defer { node.remove() }
        _ = try node.installer(flags: ["net-raw": "true"]).install()
        let expected = try NodeInstaller.runscTOML(configuration: GVisorConfiguration(configFlags: ["net-raw": "true"]))
        let report = await Doctor.run(context: .init(layout: node.layout, expectedRunscTOML: expected))
        #expect(report.isReady, "\(report.text)")
        #expect(summary(report, "runsc").contains("runsc version"))
        #expect(summary(report, "shim").contains("Version: 0.1.0"))
        #expect(summary(report, "containerd-config") == "registered in /etc/containerd/config.toml (config version 2)")
        #expect(summary(report, "runsc-toml") == "valid: --net-raw=true")
        #expect(status(report, "cgroups") == .info)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        #expect(json["ready"] as? Bool == true)
        #expect((json["reasons"] as? [String])?.isEmpty == true)

        // The configuration changed but install has not run yet.
        let other = try NodeInstaller.runscTOML(configuration: GVisorConfiguration(configFlags: ["debug": "true"]))
        let drifted = await Doctor.run(context: .init(layout: node.layout, expectedRunscTOML: other))
        #expect(
            drifted.reasons == [
                "runsc.toml: /etc/containerd/runsc.toml differs from the configuration (run gvisor-node install)"
            ])
    }

    @Test func wrongHandlerIsNamed() async throws {
        let node = try Node(config: "v2-go-script")
        defer { node.remove() }
        let report = await Doctor.run([Doctor.containerdConfig], context: .init(layout: node.layout))
        #expect(
            report.reasons == ["containerd handler runsc: handler runsc is wrong: runsc.pod_annotations is missing"])
        let stale = try Node(config: "v3-stale-v2")
        defer { stale.remove() }
        let staleReport = await Doctor.run([Doctor.containerdConfig], context: .init(layout: stale.layout))
        #expect(
            staleReport.reasons == [
                "containerd handler runsc: handler runsc is wrong: stale entry at "
                    + "plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runsc"
            ])
        #expect(
            staleReport.entries[0].result.details.contains(
                Doctor.Detail("stale", "plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runsc")))
    }

    @Test func olderDropInIsNamed() async throws {
        let node = try Node(config: "v2-imports")
        defer { node.remove() }
        _ = try node.installer().install()
        let ready = await Doctor.run([Doctor.containerdConfig], context: .init(layout: node.layout))
        #expect(ready.isReady)
        #expect(ready.entries.first?.result.summary.contains("registered in /etc/containerd/config.toml") == true)
        try FileManager.default.createDirectory(
            atPath: node.host("/etc/containerd/conf.d"), withIntermediateDirectories: true)
        try "[plugins.\"io.containerd.grpc.v1.cri\"]\n".write(
            toFile: node.host("/etc/containerd/conf.d/gvisor-runsc.toml"), atomically: true, encoding: .utf8)
        let report = await Doctor.run([Doctor.containerdConfig], context: .init(layout: node.layout))
        #expect(
            report.reasons == [
                "containerd handler runsc: /etc/containerd/conf.d/gvisor-runsc.toml (an older gvisor-node's drop-in) "
                    + "overrides the CRI section of /etc/containerd/config.toml; run gvisor-node install"
            ])
    }

    @Test func brokenRunscTOMLIsNamed() async throws {
        let node = try Node()
        defer { node.remove() }
        try "[runsc_config]\ndebug = [1]\n".write(
            toFile: node.host("/etc/containerd/runsc.toml"), atomically: true, encoding: .utf8)
        let report = await Doctor.run([Doctor.runscTOML], context: .init(layout: node.layout))
        #expect(report.reasons.count == 1)
        #expect(report.reasons[0].contains("runsc_config.debug: found an array"))
    }

    @Test func platformFollowsRunscTOML() async throws {
        let node = try Node()
        defer { node.remove() }
        try RunscTOML.render(runscConfig: ["platform": "ptrace"]).write(
            toFile: node.host("/etc/containerd/runsc.toml"), atomically: true, encoding: .utf8)
        let report = await Doctor.run([Doctor.platform], context: .init(layout: node.layout))
        #expect(report.entries[0].result.details.first == Doctor.Detail("configured", "ptrace"))
        let scope = try? String(contentsOfFile: "/proc/sys/kernel/yama/ptrace_scope", encoding: .utf8)
        #expect(report.isReady == (scope?.hasPrefix("3") != true))
    }

    @Test func capabilitiesAreListedWithRunscNeeds() async throws {
        let node = try Node()
        defer { node.remove() }
        try RunscTOML.render(runscConfig: ["platform": "ptrace", "network": "none"]).write(
            toFile: node.host("/etc/containerd/runsc.toml"), atomically: true, encoding: .utf8)
        let report = await Doctor.run([Doctor.capabilities], context: .init(layout: node.layout))
        let details = Dictionary(uniqueKeysWithValues: report.entries[0].result.details.map { ($0.key, $0.value) })
        #expect(details["runsc needs"]?.contains("CAP_SYS_PTRACE") == true)
        #expect(details["runsc needs"]?.contains("CAP_NET_ADMIN") == false, "network=none needs no NET_ADMIN")
        #expect(details["effective"] != nil && details["permitted"] != nil && details["bounding"] != nil)
        // This suite runs as root; what root lacks here (CAP_SYS_RESOURCE) runsc does not need.
        #expect(report.isReady, "\(report.text)")
        #expect(details["missing"] == "none")
    }

    @Test func gpusAreFactsWhenNVProxyIsOffAndCheckedWhenOn() async throws {
        let node = try Self.realNode()
        defer { node.remove() }
        _ = try node.installer().install()
        let off = await Doctor.run([Doctor.gpus], context: .init(layout: node.layout))
        #expect(off.entries[0].result.status == .info)
        #expect(off.entries[0].result.summary.hasPrefix("nvproxy off; "))

        // No GPU exists on these machines, and Debian's runsc (20221219) predates nvproxy: nvproxy on is not ready.
        _ = try node.installer(flags: ["nvproxy": "true"]).install()
        let on = await Doctor.run([Doctor.gpus], context: .init(layout: node.layout))
        #expect(on.reasons == ["GPUs and nvproxy: nvproxy is on but the installed runsc has no nvproxy"])
    }
}
