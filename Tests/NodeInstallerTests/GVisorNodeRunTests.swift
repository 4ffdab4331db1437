import Foundation
import NodeInstaller
import Testing

/// `gvisor-node run` as the DaemonSet runs it: the built binary, a temporary host root, SIGTERM to end it.
@Suite("gvisor-node run")
struct GVisorNodeRunTests {
    static func gvisorNode() throws -> String {
        let shim = try DoctorTests.builtShim()
        let node = (shim as NSString).deletingLastPathComponent + "/gvisor-node"
        guard FileManager.default.isExecutableFile(atPath: node) else {
            throw TestSetupError("gvisor-node is not built at \(node); run `swift build` before `swift test`")
        }
        return node
    }

    @Test func repairsDriftAndStopsOnSIGTERM() async throws {
        let node = try NodeInstallerTests.Node()
        defer { node.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.gvisorNode())
        process.arguments = [
            "run", "--interval", "1", "--host-root", node.hostRoot, "--content", node.content,
            "--restart-command", "echo restart >> \(node.restarts)", "--config-flag", "net-raw=true",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()

        func waitFor(_ what: String, _ condition: () -> Bool) async throws {
            for _ in 0..<200 where !condition() { try await Task.sleep(for: .milliseconds(50)) }
            #expect(condition(), "timed out waiting for \(what)")
        }
        try await waitFor("the first install") { node.restartCount == 1 }
        let installed = try #require(node.read("/etc/containerd/config.toml"))

        // Someone puts the stock config back: the next round registers runsc again and restarts once.
        try fixture("v2-fresh/config.toml").write(
            toFile: node.host("/etc/containerd/config.toml"), atomically: true, encoding: .utf8)
        try await waitFor("the repair") { node.restartCount == 2 }
        #expect(node.read("/etc/containerd/config.toml") == installed)

        try await Task.sleep(for: .milliseconds(1500))
        #expect(node.restartCount == 2, "rounds without drift restart nothing")

        process.terminate()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0)
        #expect(text.contains("drift repaired:"))
        #expect(text.contains("updated /etc/containerd/config.toml (containerd config: handler runsc registered)"))
        #expect(text.hasSuffix("received SIGTERM; exiting, gVisor stays installed\n"))
        #expect(node.exists("/var/bin/containerruntimes/runsc"))
    }

    @Test func installCommandFailsWithTheNamedError() throws {
        let node = try NodeInstallerTests.Node()
        defer { node.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.gvisorNode())
        process.arguments = ["install", "--host-root", node.hostRoot, "--content", node.base + "/nothing"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(text.contains("\(node.base)/nothing/runsc: runsc is missing from the installation content"))
    }

    /// Issue 17: toml++ (inside TOMLKit) asserted on these config.toml files and gvisor-node died of SIGABRT (exit
    /// 134) in install, run and doctor alike; the runsc.toml pre-check now refuses them first, with a named error.
    @Test(
        "a malformed containerd config.toml is a named error, never an abort",
        arguments: [
            "crash-toml-header-without-key", "crash-toml-array-closed-by-brace", "crash-toml-date-time-without-time",
        ])
    func malformedContainerdConfigIsNamed(reproducer: String) throws {
        let node = try NodeInstallerTests.Node()
        defer { node.remove() }
        let config = try #require(
            FileManager.default.contents(atPath: packageRoot.path + "/Fuzz/regressions/containerd-config/" + reproducer)
        )
        try config.write(to: URL(fileURLWithPath: node.host("/etc/containerd/config.toml")))
        for command in ["install", "doctor"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try Self.gvisorNode())
            process.arguments =
                [command, "--host-root", node.hostRoot] + (command == "install" ? ["--content", node.content] : [])
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationReason == .exit, "\(command) was killed by signal \(process.terminationStatus)")
            #expect(process.terminationStatus == 1, "\(command): \(text)")
            #expect(text.contains("/etc/containerd/config.toml, line "), "\(command): \(text)")
            #expect(text.contains("not valid TOML"), "\(command): \(text)")
        }
        #expect(FileManager.default.contents(atPath: node.host("/etc/containerd/config.toml")) == config)
    }

    /// A process without CAP_SYS_PTRACE in its bounding set (setpriv drops it before exec): the doctor names it.
    @Test func doctorNamesMissingCapabilities() throws {
        let node = try NodeInstallerTests.Node()
        defer { node.remove() }
        try "[runsc_config]\nplatform = \"ptrace\"\n".write(
            toFile: node.host("/etc/containerd/runsc.toml"), atomically: true, encoding: .utf8)
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw TestSetupError("/usr/bin/setpriv (util-linux) is missing")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = [
            "--bounding-set", "-sys_ptrace", try Self.gvisorNode(), "doctor", "--json", "--host-root", node.hostRoot,
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let reasons = try #require(json["reasons"] as? [String])
        #expect(
            reasons.contains(
                "capabilities: runsc needs capabilities this process lacks: "
                    + "CAP_SYS_PTRACE (platform=ptrace traces the sandboxed processes)"), "\(reasons)")
    }
}
