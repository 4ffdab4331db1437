import GVisorConfig

/// The containerd config file versions the installer understands, and where each keeps CRI runtime handlers.
public enum ContainerdConfigVersion: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// containerd 1.x without `version` (or `version = 1`): plugins by short id, `plugins.cri`.
    case v1 = 1
    /// containerd 1.6/1.7: `plugins."io.containerd.grpc.v1.cri"`.
    case v2 = 2
    /// containerd 2.0-2.2: the CRI runtime plugin `io.containerd.cri.v1.runtime`.
    case v3 = 3
    /// containerd 2.3: same runtime table paths as version 3.
    case v4 = 4

    /// Key of the plugin (under `plugins`) whose `containerd.runtimes` holds the handlers.
    public var criPlugin: String {
        switch self {
        case .v1: "cri"
        case .v2: "io.containerd.grpc.v1.cri"
        case .v3, .v4: "io.containerd.cri.v1.runtime"
        }
    }

    /// Path of the `runtimes` table.
    public var runtimesPath: [String] { ["plugins", criPlugin, "containerd", "runtimes"] }

    /// Path of the table of handler `runsc`.
    public var runscPath: [String] { runtimesPath + [RuntimeHandler.name] }

    public var description: String { "version \(rawValue)" }

    /// Every place any version keeps a runsc handler: a v2 file with a v1-style section (what old install
    /// scripts wrote) has a stale entry to remove.
    static let allRunscPaths: [[String]] = [Self.v1.runscPath, Self.v2.runscPath, Self.v3.runscPath]
}

/// The CRI runtime handler `runsc` as the installer writes it (same body for every config version; see
/// `shim/containerd-runsc*.toml`).
public enum RuntimeHandler {
    public static let name = "runsc"
    public static let runtimeType = "io.containerd.runsc.v1"
    public static let optionsTypeURL = "io.containerd.runsc.v1.options"
    /// Host path of the shim's options file, as containerd passes it to the shim.
    public static let configPath = "/etc/containerd/runsc.toml"
    /// gVisor-specific pod annotations (`dev.gvisor.*`) reach the shim and runsc.
    public static let podAnnotations = ["dev.gvisor.*"]
    /// First line of the block in config.toml: marks the section as the installer's own.
    public static let marker = "# Runtime handler runsc (gVisor): managed by gvisor-node, which rewrites or removes it."

    /// The tables for `version`, each header with its two-space indented body; no marker, no blank lines.
    public static func tables(for version: ContainerdConfigVersion) -> String {
        let runtime = TOMLPath.header(version.runscPath)
        let options = TOMLPath.header(version.runscPath + ["options"])
        return """
            [\(runtime)]
              runtime_type = "\(runtimeType)"
              pod_annotations = ["\(podAnnotations.joined(separator: "\", \""))"]
            [\(options)]
              TypeUrl = "\(optionsTypeURL)"
              ConfigPath = "\(configPath)"

            """
    }

    /// What goes into config.toml: the marker line, then the tables.
    static func block(for version: ContainerdConfigVersion) -> String {
        marker + "\n" + tables(for: version)
    }
}

/// Writing TOML key paths.
enum TOMLPath {
    /// `plugins."io.containerd.grpc.v1.cri".containerd`: bare keys where allowed, quoted otherwise.
    static func header(_ path: [String]) -> String {
        path.map(key).joined(separator: ".")
    }

    static func key(_ key: String) -> String { TOMLText.key(key) }
}
