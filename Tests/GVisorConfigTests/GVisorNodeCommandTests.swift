import Foundation
import GVisorConfig
import Testing

/// Runs the built `gvisor-node` next to the test bundle: arguments in, bytes out.
@Suite("gvisor-node config commands")
struct GVisorNodeCommandTests {
    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    static func gvisorNode() throws -> URL {
        let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        // The test runner may sit inside a `.xctest` bundle directory; gvisor-node is beside the bundle.
        while directory.pathExtension == "xctest" || directory.lastPathComponent == "Contents" {
            directory.deleteLastPathComponent()
        }
        let binary = directory.appendingPathComponent("gvisor-node")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw TestSetupError("gvisor-node is not built at \(binary.path); run `swift build` before `swift test`")
        }
        return binary
    }

    func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = try Self.gvisorNode()
        process.arguments = arguments
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, standardOutput: String(decoding: stdout, as: UTF8.self),
            standardError: String(decoding: stderr, as: UTF8.self))
    }

    @Test func renderConfigPrintsTheLibraryRendering() throws {
        let result = try run(["render-config", "--config-flag", "panic-signal=12", "--config-flag", "debug=true"])
        #expect(result.status == 0)
        #expect(result.standardOutput == RunscConfigFlags(debug: true, panicSignal: .sigusr2).runscTOML())
        #expect(result.standardError.isEmpty)
    }

    @Test func renderConfigWithoutInputPrintsTheBareTable() throws {
        let result = try run(["render-config"])
        #expect(result.status == 0)
        #expect(result.standardOutput == RunscConfigFlags().runscTOML())
    }

    @Test func strictRenderFailsNamingEveryFinding() throws {
        let result = try run(["render-config", "--config-flag", "net-raw=yes", "--config-flag", "platform=kvm"])
        #expect(result.status != 0)
        #expect(result.standardOutput.isEmpty)
        #expect(result.standardError.contains("configFlags.net-raw: invalid value \"yes\""))
        #expect(result.standardError.contains("configFlags.platform: unknown flag"))
    }

    @Test func lenientRenderWritesTheFileAndWarns() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let output = directory + "/runsc.toml"
        let result = try run([
            "render-config", "--config-flag", "net-raw=true", "--config-flag", "platform=kvm", "--lenient",
            "--output", output,
        ])
        #expect(result.status == 0)
        #expect(result.standardOutput.isEmpty)
        #expect(
            result.standardError
                == "warning: dropped configFlags.platform: unknown flag (value \"kvm\"), expected one of debug, net-raw, nvproxy, panic-signal [warning]\n"
        )
        #expect(try String(contentsOfFile: output, encoding: .utf8) == RunscConfigFlags(netRaw: true).runscTOML())
    }

    @Test func renderConfigReadsTheExampleConfiguration() throws {
        let examples = packageRoot.appendingPathComponent("configs/examples")
        let result = try run([
            "render-config", "--config", examples.appendingPathComponent("gvisor-configuration.yaml").path,
        ])
        #expect(result.status == 0)
        #expect(
            result.standardOutput
                == (try String(contentsOf: examples.appendingPathComponent("runsc.toml"), encoding: .utf8)))
    }

    @Test func configAndConfigFlagCannotBeCombined() throws {
        let result = try run(["render-config", "--config", "x.yaml", "--config-flag", "debug=true"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("--config and --config-flag cannot be combined"))
    }

    @Test func checkRunscTOMLPrintsFlagsAndWarnings() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let file = directory + "/runsc.toml"
        try "mystery = 1\n[runsc_config]\npanic-signal = 12\ndebug-log = \"/var/log/runsc/%ID%/x.log\"\n"
            .write(toFile: file, atomically: true, encoding: .utf8)

        let plain = try run(["check-runsc-toml", file])
        #expect(plain.status == 0)
        #expect(plain.standardOutput == "--debug-log=/var/log/runsc/%ID%/x.log\n--panic-signal=12\n")
        #expect(plain.standardError.hasPrefix("warning: \(file): mystery: unknown key, ignored"))

        let expanded = try run(["check-runsc-toml", file, "--container-id", "abc"])
        #expect(expanded.standardOutput == "--debug-log=/var/log/runsc/abc/x.log\n--panic-signal=12\n")

        let badID = try run(["check-runsc-toml", file, "--container-id", "../x"])
        #expect(badID.status != 0)
        #expect(badID.standardError.contains("container id \"../x\" must not contain \"/\""))
    }

    @Test func checkRunscTOMLFailsClearlyOnBadFiles() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let file = directory + "/runsc.toml"
        try "[runsc_config]\nx = [1]\n".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try run(["check-runsc-toml", file])
        #expect(result.status != 0)
        #expect(result.standardOutput.isEmpty)
        #expect(
            result.standardError.contains(
                "\(file): runsc_config.x: found an array, expected a string, boolean or integer"))
    }
}
