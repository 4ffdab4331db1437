import Foundation
import NodeInstaller
import Testing

/// Every fixture under Goldens/<case>/config.toml goes through install and uninstall; the results are
/// compared byte for byte with the goldens beside it, and a second run must change nothing.
@Suite("containerd config goldens")
struct ContainerdConfigGoldenTests {
    static let inPlaceCases = [
        "v1-fresh", "v2-fresh", "v3-fresh", "v4-fresh", "v2-configured-reformatted", "v2-go-script",
        "v1-go-v2-options", "v3-stale-v2", "v2-wrong-values", "v2-dotted",
    ]
    static let freshCases: Set<String> = ["v1-fresh", "v2-fresh", "v3-fresh", "v4-fresh"]
    static let dropInCases = ["v2-imports", "v3-imports-stale"]

    @Test(arguments: inPlaceCases)
    func installAndUninstallInPlace(_ name: String) throws {
        let input = try fixture("\(name)/config.toml")
        let config = try ContainerdConfig(text: input, path: "config.toml")
        #expect(config.dropInPath(configPath: "/etc/containerd/config.toml") == nil)

        let installed = try config.registeringRunsc() ?? input
        try expectGolden(installed, "\(name)/installed.toml")
        let reloaded = try ContainerdConfig(text: installed, path: "config.toml")
        #expect(reloaded.version == config.version)
        #expect(reloaded.handlerState.isClean)
        #expect(try reloaded.registeringRunsc() == nil, "a second install must not change the file")

        let uninstalled = try #require(try reloaded.removingRunsc())
        try expectGolden(uninstalled, "\(name)/uninstalled.toml")
        let cleaned = try ContainerdConfig(text: uninstalled, path: "config.toml")
        #expect(cleaned.handlerState.isAbsent)
        #expect(try cleaned.removingRunsc() == nil, "a second uninstall must not change the file")
        if Self.freshCases.contains(name) {
            #expect(uninstalled == input, "uninstall gives back the file as it was before install")
            #expect(installed.hasPrefix(input), "install of a fresh file only appends")
        }
    }

    @Test(arguments: dropInCases)
    func installAndUninstallWithDropIn(_ name: String) throws {
        let input = try fixture("\(name)/config.toml")
        let config = try ContainerdConfig(text: input, path: "/etc/containerd/config.toml")
        let dropInPath = try #require(config.dropInPath(configPath: "/etc/containerd/config.toml"))
        #expect(dropInPath == "/etc/containerd/conf.d/gvisor-runsc.toml")

        let main = try config.removingRunsc() ?? input
        try expectGolden(main, "\(name)/installed.toml")
        let dropIn = try config.dropIn()
        try expectGolden(dropIn, "\(name)/dropin.toml")

        let reloaded = try ContainerdConfig(text: main, path: "/etc/containerd/config.toml")
        #expect(reloaded.handlerState.isAbsent, "the main file holds no runsc entry in drop-in mode")
        #expect(try reloaded.dropIn() == dropIn, "the drop-in is the same for the cleaned main file")
        #expect(try reloaded.removingRunsc() == nil)
    }

    @Test func configuredFileIsLeftAlone() throws {
        let input = try fixture("v2-configured-reformatted/config.toml")
        let config = try ContainerdConfig(text: input, path: "config.toml")
        #expect(config.handlerState.isClean)
        #expect(try config.registeringRunsc() == nil)
    }

    @Test func repairsNameWhatWasWrong() throws {
        let config = try ContainerdConfig(text: try fixture("v2-wrong-values/config.toml"), path: "config.toml")
        let state = config.handlerState
        #expect(!state.isRegistered)
        #expect(
            state.problems.contains(
                "runsc.runtime_type is \"io.containerd.runc.v2\", expected \"io.containerd.runsc.v1\""))
        #expect(
            state.problems.contains(
                "runsc.options.ConfigPath is \"/etc/runsc.toml\", expected \"/etc/containerd/runsc.toml\""))
        #expect(state.problems.contains("runsc.privileged_without_host_devices is not part of the installer's table"))

        let stale = try ContainerdConfig(text: try fixture("v3-stale-v2/config.toml"), path: "config.toml")
        #expect(stale.handlerState.staleEntries == ["plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runsc"])
    }

    @Test func versionsAreDetected() throws {
        #expect(try ContainerdConfig(text: fixture("v1-fresh/config.toml"), path: "c").version == .v1)
        #expect(try ContainerdConfig(text: fixture("v2-fresh/config.toml"), path: "c").version == .v2)
        #expect(try ContainerdConfig(text: fixture("v3-fresh/config.toml"), path: "c").version == .v3)
        #expect(try ContainerdConfig(text: fixture("v4-fresh/config.toml"), path: "c").version == .v4)
    }

    @Test func inlineRunscIsANamedError() throws {
        let config = try ContainerdConfig(text: try fixture("v2-inline/config.toml"), path: "config.toml")
        #expect(
            throws: InstallerError.cannotEdit(
                path: "config.toml", line: 4,
                reason: "runsc is part of the inline value of plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes"
            )
        ) {
            try config.registeringRunsc()
        }
    }

    @Test func badFilesAreNamedErrors() throws {
        #expect(throws: InstallerError.unsupportedConfigVersion(path: "c.toml", found: "5")) {
            try ContainerdConfig(text: "version = 5\n", path: "c.toml")
        }
        #expect(throws: InstallerError.unsupportedConfigVersion(path: "c.toml", found: "\"2\"")) {
            try ContainerdConfig(text: "version = \"2\"\n", path: "c.toml")
        }
        do {
            _ = try ContainerdConfig(text: "version = 2\n[plugins\nx = 1\n", path: "c.toml")
            Issue.record("malformed TOML was accepted")
        } catch {
            guard case .malformedTOML(let path, let line, _, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(path == "c.toml")
            #expect(line == 2)
            #expect(error.description.hasPrefix("c.toml, line 2, column"))
        }
    }

    @Test func emptyFileGetsTheHandler() throws {
        let config = try ContainerdConfig(text: "", path: "c.toml")
        let installed = try #require(try config.registeringRunsc())
        #expect(installed == RuntimeHandler.marker + "\n" + RuntimeHandler.tables(for: .v1))
        #expect(try ContainerdConfig(text: installed, path: "c.toml").removingRunsc() == "")
    }

    @Test func fileWithoutTrailingNewline() throws {
        let input = "version = 2\nroot = \"/x\""
        let installed = try #require(try ContainerdConfig(text: input, path: "c").registeringRunsc())
        #expect(installed.hasPrefix(input + "\n\n" + RuntimeHandler.marker))
    }

    /// The snippets under shim/ are what the installer writes, per version.
    @Test(arguments: ContainerdConfigVersion.allCases)
    func shimSnippetsMatch(_ version: ContainerdConfigVersion) throws {
        let file =
            version == .v1
            ? "containerd-runsc-v1.toml" : version == .v2 ? "containerd-runsc.toml" : "containerd-runsc-v3.toml"
        let text = try String(contentsOf: packageRoot.appendingPathComponent("shim/\(file)"), encoding: .utf8)
        let body = text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("#") }.joined(separator: "\n")
        #expect(body == RuntimeHandler.tables(for: version))
    }
}
