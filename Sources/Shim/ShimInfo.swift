import FoundationEssentials
import GVisorConfig
import Glibc
import Hardening
import HostOS
import Runsc
import ShimAPI
import SwiftProtobuf

/// The `-info` action: containerd 2.x's introspection service runs `<shim> -info` with the runtime
/// options on stdin and reads a protobuf `containerd.types.RuntimeInfo` from stdout (containerd
/// pkg/shim/shim.go `runInfo`, core/runtime/v2 `PluginInfo`). As gVisor's Go shim does, the answer names
/// the runtime and carries the OCI runtime features of the runsc it drives.
///
/// runsc (20221219 and 20240729 alike) has no `features` subcommand, so the features document is the shim's
/// statement about runsc, kept to what was checked against each runsc: user namespaces are accepted (the
/// sandbox starts inside the container's user namespace), ID-mapped mounts are not applied (a file owned by
/// host uid 0 under an idmap mount that maps 0 to 0 still shows as 65534 inside the sandbox), so
/// `mountExtensions.idmap.enabled` is false and containerd's CRI would not offer user-namespaced pods on it.
public struct ShimInfo {
    /// The runtime name containerd registers the shim under.
    public static let runtimeName = "io.containerd.runsc.v1"
    /// containerd's type URL for runtime-spec `features.Features`, a JSON-encoded Go type.
    public static let featuresTypeURL = "types.containerd.io/opencontainers/runtime-spec/1/features/Features"

    public var stdin: [UInt8]
    /// runsc.toml when the options name none (the shim's default path).
    public var defaultConfigPath: String

    public init(stdin: [UInt8], defaultConfigPath: String = ShimService.Settings(namespace: "").defaultConfigPath) {
        self.stdin = stdin
        self.defaultConfigPath = defaultConfigPath
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// What the runsc in use says of itself (`runsc --version`).
    public struct RunscVersion: Sendable, Hashable {
        public var version: String
        public var spec: String

        /// Parses `runsc version 0.0~20240729.0` and `spec: 1.2.0` lines.
        public init(versionOutput: String) throws(Failure) {
            var version: String?
            var spec: String?
            for line in versionOutput.split(separator: "\n") {
                let words = line.split(separator: " ").map(String.init)
                if words.count >= 3, words[0] == "runsc", words[1] == "version" { version = words[2] }
                if words.count >= 2, words[0] == "spec:" { spec = words[1] }
            }
            guard let version, let spec else {
                throw Failure(
                    description:
                        "runsc --version: expected 'runsc version' and 'spec:' lines, got '\(versionOutput.prefix(200))'"
                )
            }
            self.version = version
            self.spec = spec
        }
    }

    /// Runs the action and returns the bytes to print on stdout.
    public func run(executor: any RunscExecutor = ProcessExecutor()) async throws -> [UInt8] {
        let options = StartInput.runtimeOptions(stdin)
        var configPath = StartInput.configPath(stdin)
        if configPath == nil, access(defaultConfigPath, F_OK) == 0 { configPath = defaultConfigPath }
        var config = RunscShimConfig()
        if let configPath { config = try RunscShimConfig.load(contentsOfFile: configPath).config }
        let command = RunscCommand(executable: config.binaryName, arguments: ["--version"], subcommand: "--version")
        let result = try await executor.run(command, stdio: .captured)
        guard result.status.isSuccess else {
            throw Failure(description: "\(config.binaryName) --version failed: \(result.stderrText.prefix(500))")
        }
        let runsc = try RunscVersion(versionOutput: result.stdoutText)
        let info = try Self.runtimeInfo(runsc: runsc, options: options, ociSeccomp: config.runscConfig["oci-seccomp"])
        return try info.serializedBytes()
    }

    /// The message for `runsc`; `options` are echoed as containerd's runc shim does.
    public static func runtimeInfo(
        runsc: RunscVersion, options: Google_Protobuf_Any?, ociSeccomp: String?
    ) throws -> Containerd_Types_RuntimeInfo {
        var info = Containerd_Types_RuntimeInfo()
        info.name = runtimeName
        info.version = Containerd_Types_RuntimeVersion.with {
            $0.version = ShimVersion.version
            $0.revision = "runsc \(runsc.version)"
        }
        if let options { info.options = options }
        info.features = Google_Protobuf_Any.with {
            $0.typeURL = featuresTypeURL
            $0.value = Data(featuresJSON(runsc: runsc, ociSeccomp: ociSeccomp).utf8)
        }
        info.annotations = ["io.github.gvisor.runsc.version": runsc.version, "io.github.gvisor.runsc.spec": runsc.spec]
        return info
    }

    /// runtime-spec features.md for runsc: the hooks runsc runs, the namespaces it accepts, every capability
    /// the kernel names, cgroups v1/v2, seccomp only where runsc applies OCI seccomp (`oci-seccomp`), no
    /// AppArmor, SELinux or Intel RDT, and no ID-mapped mounts. Keys in a fixed order (deterministic output).
    public static func featuresJSON(runsc: RunscVersion, ociSeccomp: String?) -> String {
        func list(_ items: [String]) -> String { "[" + items.map { "\"\($0)\"" }.joined(separator: ",") + "]" }
        let seccompOn = ociSeccomp == "true" || ociSeccomp == ""
        let seccomp =
            seccompOn
            ? #"{"enabled":true,"actions":["SCMP_ACT_ALLOW","SCMP_ACT_ERRNO","SCMP_ACT_KILL","SCMP_ACT_KILL_PROCESS","SCMP_ACT_KILL_THREAD","SCMP_ACT_TRAP"],"operators":["SCMP_CMP_EQ","SCMP_CMP_GE","SCMP_CMP_GT","SCMP_CMP_LE","SCMP_CMP_LT","SCMP_CMP_MASKED_EQ","SCMP_CMP_NE"],"archs":["SCMP_ARCH_AARCH64","SCMP_ARCH_X86_64"]}"#
            : #"{"enabled":false}"#
        let namespaces = ["cgroup", "ipc", "mount", "network", "pid", "user", "uts"]
        let hooks = ["prestart", "poststart", "poststop"]
        let mountOptions = [
            "bind", "rbind", "ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "private", "rprivate",
            "shared", "rshared", "slave", "rslave", "noatime", "relatime", "strictatime",
        ]
        return "{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"\(runsc.spec)\",\"hooks\":\(list(hooks)),"
            + "\"mountOptions\":\(list(mountOptions)),\"linux\":{\"namespaces\":\(list(namespaces)),"
            + "\"capabilities\":\(list(Capability.supported.map(\.ociName))),"
            + "\"cgroup\":{\"v1\":true,\"v2\":true,\"systemd\":true,\"systemdUser\":false,\"rdma\":false},"
            + "\"seccomp\":\(seccomp),\"apparmor\":{\"enabled\":false},\"selinux\":{\"enabled\":false},"
            + "\"intelRdt\":{\"enabled\":false},\"mountExtensions\":{\"idmap\":{\"enabled\":false}}},"
            + "\"annotations\":{\"io.github.gvisor.runsc.version\":\"\(runsc.version)\"}}"
    }
}
