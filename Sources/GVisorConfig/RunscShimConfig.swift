/// What the shim reads from runsc.toml (containerd's `ConfigPath`): gVisor's shim `Options`, minus its bugs.
///
/// Unlike the Go shim, `[runsc_config]` values may be strings, booleans or integers (`panic-signal = 12` and
/// `panic-signal = "12"` both give `--panic-signal=12`). New settings become new stored properties; the parser
/// already warns about keys it does not know, so old shims reading newer files degrade gracefully.
public struct RunscShimConfig: Sendable, Hashable {
    public static let defaultBinaryName = "runsc"
    public static let defaultRoot = "/run/containerd/runsc"

    /// runsc executable name or path (`binary_name`).
    public var binaryName: String
    /// runsc state root (`root`); runsc gets `--root=<root>/<namespace>`.
    public var root: String
    /// Extra shim log file (`log_path`); `%ID%` is replaced and a trailing `/` names a directory.
    public var logPath: String?
    /// Shim log level (`log_level`), e.g. `debug`.
    public var logLevel: String?
    /// One shim per pod (`grouping`).
    public var grouping: Bool
    /// Owner of the stdio pipes (`io_uid`, `io_gid`).
    public var ioUID: UInt32
    public var ioGID: UInt32
    /// Parsed like gVisor's shim does, and like it, not used for anything yet (`shim_cgroup`).
    public var shimCgroup: String?
    /// `[runsc_config]` with values already turned into flag text (`true`, `12`, strings verbatim).
    public var runscConfig: [String: String]
    /// The shim's own seccomp filter (`shim_seccomp`, default on): the daemon denies itself and
    /// every runsc it starts the syscalls listed in `Hardening.SelfConfinement`. Off only to debug.
    public var shimSeccomp: Bool
    /// `accept-nvidia-visible-devices-envvar-when-unprivileged` (default false): with nvproxy on,
    /// `NVIDIA_VISIBLE_DEVICES` of an unprivileged container counts as a GPU request (the NVIDIA container
    /// toolkit's key; the image and the pod set this variable, so it is off unless the device plugin's `envvar`
    /// strategy is the only allocation on the node).
    public var acceptNVIDIAEnvironmentWhenUnprivileged = false
    /// `accept-nvidia-visible-devices-as-volume-mounts` (default false, as in the toolkit): `/dev/null` mounts
    /// under `/var/run/nvidia-container-devices/` (the device plugin's `volume-mounts` strategy) count.
    public var acceptNVIDIAVolumeMounts = false

    public init(
        binaryName: String = defaultBinaryName, root: String = defaultRoot, logPath: String? = nil,
        logLevel: String? = nil, grouping: Bool = false, ioUID: UInt32 = 0, ioGID: UInt32 = 0,
        shimCgroup: String? = nil, runscConfig: [String: String] = [:], shimSeccomp: Bool = true
    ) {
        self.binaryName = binaryName
        self.root = root
        self.logPath = logPath
        self.logLevel = logLevel
        self.grouping = grouping
        self.ioUID = ioUID
        self.ioGID = ioGID
        self.shimCgroup = shimCgroup
        self.runscConfig = runscConfig
        self.shimSeccomp = shimSeccomp
    }

    /// Global runsc flags from `[runsc_config]`, `--key=value`, sorted by key so argv is the same on every run
    /// (the Go shim used map order).
    public var runscFlags: [String] {
        runscConfig.keys.sorted(by: utf8Less).map { "--\($0)=\(runscConfig[$0]!)" }
    }

    /// A parsed file and the non-fatal things worth telling the operator about it.
    public struct Loaded: Sendable, Hashable {
        public var config: RunscShimConfig
        /// In key order; empty for a clean file.
        public var warnings: [RunscTOMLWarning]

        public init(config: RunscShimConfig, warnings: [RunscTOMLWarning]) {
            self.config = config
            self.warnings = warnings
        }
    }
}

/// Something in runsc.toml that was accepted but deserves a look.
public struct RunscTOMLWarning: Sendable, Hashable, CustomStringConvertible {
    /// The top-level key concerned.
    public var key: String
    public var message: String

    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "\(key): \(message)" }
}

/// Why runsc.toml could not be used.
public struct RunscTOMLError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Problem: Sendable, Hashable {
        /// TOML syntax; the message is toml++'s.
        case syntax(String, SourcePosition)
        case wrongType(found: String, expected: String)
        /// Integer outside the key's range (e.g. `io_uid` beyond uint32).
        case outOfRange(Int, expected: String)
        /// A `[runsc_config]` key that cannot be a runsc flag name.
        case invalidFlagName(String)
        /// A `[runsc_config]` flag the shim sets itself (`root`, `log`, `log-format`, `panic-log`, `*-fd`); with
        /// `root` overridden, killing the shim would leave the sandbox running where the shim cannot find it.
        case shimOwnedFlag(String)
        case invalidUTF8
        case unreadableFile(String)
    }

    public var problem: Problem
    /// Dotted key such as `io_uid` or `runsc_config.debug`; empty for file-level problems.
    public var key: String
    public var file: String?

    public init(_ problem: Problem, key: String = "", file: String? = nil) {
        self.problem = problem
        self.key = key
        self.file = file
    }

    public var description: String {
        var text = "\(file ?? "runsc.toml")"
        if case .syntax(_, let position) = problem { text += ", \(position)" }
        text += ": "
        if !key.isEmpty { text += "\(key): " }
        switch problem {
        case .syntax(let message, _): text += "invalid TOML: \(message)"
        case .wrongType(let found, let expected): text += "found \(found), expected \(expected)"
        case .outOfRange(let value, let expected): text += "\(value) is out of range, expected \(expected)"
        case .invalidFlagName(let reason): text += "not a runsc flag name: \(reason)"
        case .shimOwnedFlag(let reason): text += "the shim owns this runsc flag: \(reason)"
        case .invalidUTF8: text += "the file is not valid UTF-8"
        case .unreadableFile(let reason): text += "cannot read the file: \(reason)"
        }
        return text
    }
}
