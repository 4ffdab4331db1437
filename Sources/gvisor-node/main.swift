// gvisor-node: argument parsing only; the work happens in the libraries.

import ArgumentParser
import GVisorConfig
import GVisorConfigYAML
import HostOS
import NodeInstaller

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

struct GVisorNode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gvisor-node",
        abstract: "Node-side tool of the gVisor runtime for containerd.",
        groupedSubcommands: [
            CommandGroup(name: "Node", subcommands: [Install.self, Uninstall.self, Run.self, DoctorCommand.self]),
            CommandGroup(name: "Configuration", subcommands: [RenderConfig.self, CheckRunscTOML.self]),
        ])
}

struct RenderConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render-config",
        abstract: "Validate configFlags and render runsc.toml.",
        discussion: """
            Reads a GVisorConfiguration (YAML or JSON) or takes flags as key=value; with neither, renders an empty \
            [runsc_config]. Strict by default: any unknown flag or invalid value fails with all findings listed. \
            --lenient keeps the valid flags and reports the dropped ones on standard error.
            """)

    @Option(help: ArgumentHelp("GVisorConfiguration file (YAML or JSON); - reads standard input.", valueName: "file"))
    var config: String?

    @Option(
        name: .customLong("config-flag"),
        help: ArgumentHelp("A configFlags entry, e.g. net-raw=true; repeatable.", valueName: "key=value"))
    var configFlags: [String] = []

    @Flag(help: "Keep the valid flags and report the others on standard error instead of failing.")
    var lenient = false

    @Option(
        help: ArgumentHelp("Write runsc.toml to this file (atomically) instead of standard output.", valueName: "file"))
    var output: String?

    func validate() throws {
        if config != nil, !configFlags.isEmpty {
            throw ValidationError("--config and --config-flag cannot be combined")
        }
    }

    func run() throws {
        let configuration: GVisorConfiguration
        if let config {
            configuration = try GVisorConfiguration(contentsOfFile: config)
        } else if configFlags.isEmpty {
            configuration = .empty
        } else {
            configuration = GVisorConfiguration(
                configFlags: try GVisorConfiguration.configFlags(fromAssignments: configFlags))
        }
        let rendered = try configuration.renderRunscTOML(mode: lenient ? .lenient : .strict)
        for finding in rendered.findings {
            printToStandardError("warning: dropped \(finding)")
        }
        if let output {
            try HostFile.writeAtomically(rendered.text, to: output)
        } else {
            print(rendered.text, terminator: "")
        }
    }
}

struct CheckRunscTOML: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-runsc-toml",
        abstract: "Read runsc.toml as the shim does and print the runsc flags it would pass, one per line.",
        discussion: "Warnings go to standard error; an unusable file exits non-zero with the reason.")

    @Argument(help: ArgumentHelp("The file to check, e.g. /etc/containerd/runsc.toml.", valueName: "file"))
    var file: String

    @Option(
        name: .customLong("container-id"),
        help: ArgumentHelp("Expand %ID% in the flags for this container id.", valueName: "id"))
    var containerID: String?

    func run() throws {
        let loaded = try RunscShimConfig.load(contentsOfFile: file)
        for warning in loaded.warnings {
            printToStandardError("warning: \(file): \(warning)")
        }
        let flags = try containerID.map { try loaded.config.runscFlags(substitutingID: ContainerID($0)) }
        for flag in flags ?? loaded.config.runscFlags {
            print(flag)
        }
    }
}

/// Options shared by install, uninstall, run and doctor.
struct NodeOptions: ParsableArguments {
    @Option(
        name: .customLong("host-root"),
        help: ArgumentHelp("Where the host's / is mounted; every host path is under it.", valueName: "dir"))
    var hostRoot = NodeLayout.defaultHostRoot

    @Option(
        help: ArgumentHelp("Image content: runsc, containerd-shim-runsc-v1, optional gvisor-bin/.", valueName: "dir"))
    var content = NodeLayout.defaultContent

    @Option(
        name: .customLong("bin-dir"),
        help: ArgumentHelp("Host directory for the binaries (on containerd's PATH).", valueName: "dir"))
    var binDirectory = NodeLayout.defaultBinDirectory

    @Option(help: ArgumentHelp("GVisorConfiguration file (YAML or JSON); - reads standard input.", valueName: "file"))
    var config: String?

    @Option(
        name: .customLong("config-flag"),
        help: ArgumentHelp("A configFlags entry, e.g. net-raw=true; repeatable.", valueName: "key=value"))
    var configFlags: [String] = []

    @Option(
        name: .customLong("extra-runsc-flag"),
        help: ArgumentHelp(
            "A node-local [runsc_config] entry outside the configFlags allow-list (e.g. network=none where the "
                + "kernel breaks gVisor's sandbox network); repeatable.", valueName: "key=value"))
    var extraRunscFlags: [String] = []

    @Option(
        name: .customLong("restart-command"),
        help: ArgumentHelp(
            "Shell command that restarts containerd (default: chroot <host-root> systemctl restart containerd).",
            valueName: "command"))
    var restartCommand: String?

    func validate() throws {
        if config != nil, !configFlags.isEmpty {
            throw ValidationError("--config and --config-flag cannot be combined")
        }
    }

    var layout: NodeLayout { NodeLayout(hostRoot: hostRoot, content: content, binDirectory: binDirectory) }

    /// Whether the caller said what runsc.toml should hold.
    var hasConfiguration: Bool { config != nil || !configFlags.isEmpty || !extraRunscFlags.isEmpty }

    func runscTOML() throws -> String {
        let configuration: GVisorConfiguration
        if let config {
            configuration = try GVisorConfiguration(contentsOfFile: config)
        } else {
            configuration = GVisorConfiguration(
                configFlags: configFlags.isEmpty
                    ? nil : try GVisorConfiguration.configFlags(fromAssignments: configFlags))
        }
        let extra = try GVisorConfiguration.configFlags(fromAssignments: extraRunscFlags)
        return try NodeInstaller.runscTOML(configuration: configuration, extraFlags: extra)
    }

    func installer() throws -> NodeInstaller {
        NodeInstaller(layout: layout, runscTOML: try runscTOML(), restartCommand: restartCommand)
    }
}

struct Install: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Install runsc and the shim, register handler runsc with containerd, write runsc.toml.",
        discussion: """
            Idempotent: identical files are left alone, and containerd is restarted (once) only when its config \
            or runsc.toml changed. Every write is atomic; bad input fails before anything is written.
            """)

    @OptionGroup var options: NodeOptions

    func run() throws {
        let report = try options.installer().install()
        report.lines.forEach { print($0) }
    }
}

struct Uninstall: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove the binaries, handler runsc (section or drop-in) and runsc.toml; restart containerd once.")

    @OptionGroup var options: NodeOptions

    func run() throws {
        let report = try options.installer().uninstall()
        report.lines.forEach { print($0) }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Install, then stay up until SIGTERM, re-checking and repairing drift (the DaemonSet's container).")

    @OptionGroup var options: NodeOptions

    @Option(help: ArgumentHelp("Seconds between re-checks.", valueName: "seconds"))
    var interval = 300

    func validate() throws {
        guard interval > 0 else { throw ValidationError("--interval must be a positive number of seconds") }
    }

    func run() throws {
        try options.installer().runUntilTerminated(intervalSeconds: interval) { line in
            print(line)
            fflush(nil)
        }
    }
}

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the node for gVisor: binaries, handler, runsc.toml, platform, cgroups, capabilities, GPUs.",
        discussion: """
            Prints a checklist (or JSON with --json) and exits non-zero when the node is not ready, naming the \
            reasons. With --config or --config-flag, runsc.toml must also match that configuration.
            """)

    @OptionGroup var options: NodeOptions

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    func run() throws {
        let expected = options.hasConfiguration ? try options.runscTOML() : nil
        let report = Doctor.runBlocking(
            context: .init(layout: options.layout, expectedRunscTOML: expected))
        print(json ? report.json : report.text, terminator: "")
        if !report.isReady { throw ExitCode(1) }
    }
}

func printToStandardError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

GVisorNode.main()
