import Foundation
import GVisorConfig
import Testing

@Suite("runsc.toml reading")
struct RunscShimConfigTests {
    @Test(arguments: ["", "# only a comment\n", "[runsc_config]\n"])
    func defaults(_ text: String) throws {
        let loaded = try RunscShimConfig.parse(text)
        #expect(loaded.config == RunscShimConfig())
        #expect(loaded.config.binaryName == "runsc")
        #expect(loaded.config.root == "/run/containerd/runsc")
        #expect(loaded.config.runscFlags.isEmpty)
        #expect(loaded.warnings.isEmpty)
    }

    @Test func readsEveryKnownKey() throws {
        let loaded = try RunscShimConfig.parse(
            """
            binary_name = "/usr/local/bin/runsc"
            root = "/run/gvisor"
            log_path = "/var/log/runsc/%ID%/shim.log"
            log_level = "debug"
            grouping = true
            io_uid = 1000
            io_gid = 4294967295
            shim_cgroup = "/shim"
            enable_hibernate_server = false

            [runsc_config]
            platform = "systrap"
            """)
        #expect(
            loaded.config
                == RunscShimConfig(
                    binaryName: "/usr/local/bin/runsc", root: "/run/gvisor", logPath: "/var/log/runsc/%ID%/shim.log",
                    logLevel: "debug", grouping: true, ioUID: 1000, ioGID: UInt32.max, shimCgroup: "/shim",
                    runscConfig: ["platform": "systrap"]))
        #expect(loaded.warnings.isEmpty)
    }

    @Test func emptyStringsMeanTheDefault() throws {
        let loaded = try RunscShimConfig.parse("binary_name = \"\"\nroot = \"\"\nlog_path = \"\"\n")
        #expect(loaded.config == RunscShimConfig())
    }

    @Test(arguments: [
        ("panic-signal = 12", "--panic-signal=12"),
        ("panic-signal = \"12\"", "--panic-signal=12"),
        ("panic-signal = -1", "--panic-signal=-1"),
        ("debug = true", "--debug=true"),
        ("debug = \"true\"", "--debug=true"),
        ("net-raw = false", "--net-raw=false"),
        (
            "debug-log = \"/var/log/runsc/%ID%/gvisor-%COMMAND%.log\"",
            "--debug-log=/var/log/runsc/%ID%/gvisor-%COMMAND%.log"
        ),
        ("'quoted-key' = 'literal string'", "--quoted-key=literal string"),
        ("overlay2 = \"root:self\"", "--overlay2=root:self"),
        ("hex = 0x10", "--hex=16"),
    ])
    func runscConfigValuesBecomeFlags(line: String, flag: String) throws {
        let loaded = try RunscShimConfig.parse("[runsc_config]\n\(line)\n")
        #expect(loaded.config.runscFlags == [flag])
    }

    @Test func inlineTablesAndDottedKeysWorkToo() throws {
        let inline = try RunscShimConfig.parse("runsc_config = { debug = true, panic-signal = 12 }\n")
        let dotted = try RunscShimConfig.parse("runsc_config.debug = true\nrunsc_config.panic-signal = 12\n")
        #expect(inline.config.runscFlags == ["--debug=true", "--panic-signal=12"])
        #expect(dotted.config == inline.config)
    }

    @Test func flagsAreSortedByName() throws {
        let loaded = try RunscShimConfig.parse(
            "[runsc_config]\nz-last = 1\nnet-raw = true\ndebug = true\nA-upper = \"x\"\npanic-signal = 12\n")
        #expect(
            loaded.config.runscFlags == [
                "--A-upper=x", "--debug=true", "--net-raw=true", "--panic-signal=12", "--z-last=1",
            ])
    }

    @Test(arguments: [
        ("x = 1.5", "runsc_config.x", "a floating-point number (1.5)"),
        ("x = [\"a\", \"b\"]", "runsc_config.x", "an array"),
        ("x = { y = 1 }", "runsc_config.x", "a table"),
        ("x = 1979-05-27", "runsc_config.x", "a date"),
        ("x = 07:32:00", "runsc_config.x", "a time"),
        ("x = 1979-05-27T07:32:00Z", "runsc_config.x", "a date-time"),
    ])
    func unsupportedRunscConfigValuesAreNamed(line: String, key: String, found: String) {
        let error = #expect(throws: RunscTOMLError.self) {
            try RunscShimConfig.parse("[runsc_config]\n\(line)\n", file: "/etc/containerd/runsc.toml")
        }
        #expect(error?.key == key)
        #expect(error?.problem == .wrongType(found: found, expected: "a string, boolean or integer"))
        #expect(error?.description.hasPrefix("/etc/containerd/runsc.toml: \(key): found \(found)") == true)
    }

    @Test(arguments: [
        ("\"--debug\" = true", "runsc_config.--debug", "write the name without dashes, e.g. debug"),
        ("\"a=b\" = true", "runsc_config.\"a=b\"", "\"=\" is not allowed"),
        ("\"\" = true", "runsc_config.\"\"", "it is empty"),
        ("_private = true", "runsc_config._private", "must start with a letter or digit"),
        ("\"with space\" = 1", "runsc_config.\"with space\"", "\" \" is not allowed"),
    ])
    func flagNamesThatCannotBeRunscFlagsAreRejected(line: String, key: String, reason: String) {
        let error = #expect(throws: RunscTOMLError.self) { try RunscShimConfig.parse("[runsc_config]\n\(line)\n") }
        #expect(error?.key == key)
        guard case .invalidFlagName(let message) = error?.problem else {
            Issue.record("expected invalidFlagName, got \(String(describing: error))")
            return
        }
        #expect(message.contains(reason), "\(message)")
    }

    @Test(arguments: [
        ("binary_name = 1", "binary_name", "an integer (1)", "a string"),
        ("root = true", "root", "a boolean (true)", "a string"),
        ("log_path = [\"a\"]", "log_path", "an array", "a string"),
        ("log_level = 3", "log_level", "an integer (3)", "a string"),
        ("shim_cgroup = false", "shim_cgroup", "a boolean (false)", "a string"),
        ("grouping = \"true\"", "grouping", "a string (\"true\")", "a boolean (true or false)"),
        ("enable_hibernate_server = 1", "enable_hibernate_server", "an integer (1)", "a boolean (true or false)"),
        ("io_uid = \"1000\"", "io_uid", "a string (\"1000\")", "an integer 0...4294967295"),
        ("io_gid = 1.0", "io_gid", "a floating-point number (1.0)", "an integer 0...4294967295"),
        (
            "runsc_config = \"debug=true\"", "runsc_config", "a string (\"debug=true\")",
            "a table of runsc flags ([runsc_config])"
        ),
    ])
    func wrongTypesForKnownKeysAreNamed(line: String, key: String, found: String, expected: String) {
        let error = #expect(throws: RunscTOMLError.self) { try RunscShimConfig.parse(line + "\n") }
        #expect(error?.key == key)
        #expect(error?.problem == .wrongType(found: found, expected: expected))
    }

    @Test(arguments: [("io_uid", -1), ("io_gid", 4_294_967_296), ("io_uid", Int.min)])
    func idsOutsideUInt32AreRejected(key: String, value: Int) {
        let error = #expect(throws: RunscTOMLError.self) { try RunscShimConfig.parse("\(key) = \(value)\n") }
        #expect(error?.key == key)
        #expect(error?.problem == .outOfRange(value, expected: "an integer 0...4294967295"))
    }

    @Test func unknownTopLevelKeysAreWarningsNotErrors() throws {
        let loaded = try RunscShimConfig.parse(
            """
            SystemdCgroup = true
            binary_name = "runsc"
            debug = true
            [runsc_config]
            debug = true
            [shim]
            x = 1
            """)
        #expect(loaded.warnings.map(\.key) == ["SystemdCgroup", "debug", "shim"])
        #expect(loaded.warnings.allSatisfy { $0.message.hasPrefix("unknown key, ignored") })
        #expect(loaded.config.runscFlags == ["--debug=true"])
    }

    /// Found by the runsc-toml fuzzer: an empty key gave a warning that named no key at all.
    @Test("unknown keys are named as TOML writes them")
    func unknownKeysAreQuoted() throws {
        let loaded = try RunscShimConfig.parse("\"\" = \"y\"\n\"a b\" = 1\n")
        #expect(loaded.warnings.map(\.key) == ["\"\"", "\"a b\""])
        #expect(loaded.warnings.map(\.description).allSatisfy { $0.hasPrefix("\"") })
    }

    @Test func hibernateServerIsAcceptedAndIgnoredWithANote() throws {
        let on = try RunscShimConfig.parse("enable_hibernate_server = true\n")
        #expect(
            on.warnings == [
                RunscTOMLWarning(
                    key: "enable_hibernate_server", message: "accepted but ignored: this shim has no hibernate server")
            ])
        #expect(on.config == RunscShimConfig())
        let off = try RunscShimConfig.parse("enable_hibernate_server = false\n")
        #expect(off.warnings.isEmpty)
    }

    @Test(arguments: [
        ("[runsc_config]\ndebug = \n", 2),
        ("binary_name = \"runsc\"\nroot = \"/run\nlog_level = \"debug\"\n", 2),
        ("[runsc_config]\n[runsc_config]\n", 2),
        ("a = 1\nb = 2\na = 3\n", 3),
        ("[runsc_config]\ndebug = yes\n", 2),
        ("x = 1\n\0y = 2\n", 2),
    ])
    func badTOMLReportsLineAndColumn(text: String, line: Int) {
        let error = #expect(throws: RunscTOMLError.self) { try RunscShimConfig.parse(text, file: "runsc.toml") }
        guard case .syntax(let message, let position) = error?.problem else {
            Issue.record("expected a syntax error, got \(String(describing: error))")
            return
        }
        #expect(!message.isEmpty)
        #expect(position.line == line, "\(message) at \(position)")
        #expect(position.column >= 1)
        #expect(
            error?.description.hasPrefix("runsc.toml, line \(line), column \(position.column): invalid TOML: ") == true)
    }

    @Test func fileErrorsNameTheFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }

        let broken = directory + "/runsc.toml"
        try "[runsc_config]\ndebug = \"true\"\npanic-signal = \n".write(
            toFile: broken, atomically: true, encoding: .utf8)
        let syntax = #expect(throws: RunscTOMLError.self) { try RunscShimConfig.load(contentsOfFile: broken) }
        #expect(syntax?.file == broken)
        #expect(syntax?.description.hasPrefix("\(broken), line 3, column ") == true, "\(String(describing: syntax))")

        let binary = directory + "/binary.toml"
        try Data([0x61, 0x20, 0x3D, 0x20, 0x22, 0xC3, 0x28, 0x22, 0x0A]).write(to: URL(fileURLWithPath: binary))
        #expect(throws: RunscTOMLError(.invalidUTF8, file: binary)) { try RunscShimConfig.load(contentsOfFile: binary) }

        let missing = #expect(throws: RunscTOMLError.self) {
            try RunscShimConfig.load(contentsOfFile: directory + "/absent.toml")
        }
        #expect(missing?.description.hasPrefix(directory + "/absent.toml: cannot read the file: open failed: ") == true)

        let good = directory + "/good.toml"
        try "[runsc_config]\npanic-signal = 12\n".write(toFile: good, atomically: true, encoding: .utf8)
        #expect(try RunscShimConfig.load(contentsOfFile: good).config.runscFlags == ["--panic-signal=12"])
    }

    /// Issue 17: `[runsc_config] root = ...` took effect after the shim's own `--root`, so runsc kept its state where
    /// the shim never looked, and killing the shim left the sandbox running. Refused at load, naming the key.
    @Test(arguments: [
        ("root", "the shim passes --root=<root>/<namespace>; set the top-level root key instead"),
        (
            "log",
            "the shim passes --log per container and reads that log to explain failures; use debug-log for runsc's debug logs"
        ),
        (
            "log-format",
            "the shim passes --log-format per container and reads that log to explain failures; use debug-log for runsc's debug logs"
        ),
        (
            "panic-log",
            "the shim passes --panic-log per container and reads that log to explain failures; use debug-log for runsc's debug logs"
        ),
        ("debug-log-fd", "file descriptor flags are passed between runsc's own processes"),
        ("spec-fd", "file descriptor flags are passed between runsc's own processes"),
    ])
    func shimOwnedRunscFlagsAreRefused(flag: String, reason: String) {
        let error = #expect(throws: RunscTOMLError.self) {
            try RunscShimConfig.parse("[runsc_config]\n\(flag) = \"/elsewhere\"\n", file: "/etc/containerd/runsc.toml")
        }
        #expect(error?.problem == .shimOwnedFlag(reason))
        #expect(
            error?.description
                == "/etc/containerd/runsc.toml: runsc_config.\(flag): the shim owns this runsc flag: \(reason)")
    }

    @Test func runscFlagsNearTheOwnedOnesStayAllowed() throws {
        let loaded = try RunscShimConfig.parse(
            "[runsc_config]\ndebug-log = \"/var/log/runsc/\"\ndebug-log-format = \"json\"\nroot-dir = \"x\"\n")
        #expect(loaded.config.runscFlags == ["--debug-log=/var/log/runsc/", "--debug-log-format=json", "--root-dir=x"])
    }

    /// The NVIDIA container toolkit's two keys, under the toolkit's names, default off.
    @Test func nvidiaToolkitKeys() throws {
        #expect(RunscShimConfig().acceptNVIDIAEnvironmentWhenUnprivileged == false)
        #expect(RunscShimConfig().acceptNVIDIAVolumeMounts == false)
        let loaded = try RunscShimConfig.parse(
            "accept-nvidia-visible-devices-envvar-when-unprivileged = true\n"
                + "accept-nvidia-visible-devices-as-volume-mounts = true\n")
        #expect(loaded.warnings.isEmpty)
        #expect(loaded.config.acceptNVIDIAEnvironmentWhenUnprivileged)
        #expect(loaded.config.acceptNVIDIAVolumeMounts)
        #expect(loaded.config.runscFlags.isEmpty)
        let wrong = #expect(throws: RunscTOMLError.self) {
            try RunscShimConfig.parse("accept-nvidia-visible-devices-as-volume-mounts = \"yes\"\n")
        }
        #expect(wrong?.key == "accept-nvidia-visible-devices-as-volume-mounts")
    }
}
