// gvisor-node: argument parsing only; the work happens in the libraries.

import ArgumentParser
import GVisorConfig

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
            CommandGroup(name: "Configuration", subcommands: [RenderConfig.self, CheckRunscTOML.self])
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
            try ConfigFile.writeAtomically(rendered.text, to: output)
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

func printToStandardError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

GVisorNode.main()
