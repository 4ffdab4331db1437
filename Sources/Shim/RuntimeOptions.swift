import GVisorConfig
import ShimAPI
import SwiftProtobuf

/// The runtime options of a Create (and of `start`'s stdin, which carries the same `Any`).
///
/// containerd sends the runtime's configured `runtimeoptions.v1.Options` (CRI's `ConfigPath`) unless the client
/// set task options; those replace it. containerd's client library sets them as
/// `containerd.linux.runc.CreateOptions` for every runtime but runc (`WithUIDOwner`/`WithGIDOwner` for user
/// namespaces, `WithShimCgroup`, `WithNoPivotRoot`), and some clients send runc-v2's own
/// `containerd.runc.v1.Options`. The runc types carry no runsc.toml, so the shim's default one applies to them.
struct RuntimeOptions: Equatable {
    /// runsc.toml (`runtimeoptions.v1.Options.config_path`); nil means the shim's default.
    var configPath: String?
    /// Owner of the stdio pipes (`IoUid`/`IoGid`), as runc-v2 sets it for user-namespaced containers.
    var ioUID: UInt32?
    var ioGID: UInt32?
    /// The cgroup `start` moves the shim daemon into (`ShimCgroup`).
    var shimCgroup: String?
    /// runc Options fields that have a runsc meaning: the binary, its `--root`, `--systemd-cgroup`.
    var binaryName: String?
    var root: String?
    var systemdCgroup = false
    /// Set fields without a runsc meaning, as `Message.field`, for the warning that names each.
    var ignored: [String] = []

    init() {}

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The message names the three accepted types when `any` is none of them.
    init(decoding any: Google_Protobuf_Any) throws(Failure) {
        let name = any.typeURL.split(separator: "/").last.map(String.init) ?? ""
        switch name {
        case Runtimeoptions_V1_Options.protoMessageName:
            let options: Runtimeoptions_V1_Options = try Self.decode(any)
            if !options.configPath.isEmpty { configPath = options.configPath }
        case Containerd_Linux_Runc_CreateOptions.protoMessageName:
            let options: Containerd_Linux_Runc_CreateOptions = try Self.decode(any)
            take(uid: options.ioUid, gid: options.ioGid, shimCgroup: options.shimCgroup)
            ignore(
                name,
                [
                    ("no_pivot_root", options.noPivotRoot), ("open_tcp", options.openTcp),
                    ("external_unix_sockets", options.externalUnixSockets), ("terminal", options.terminal),
                    ("file_locks", options.fileLocks), ("empty_namespaces", !options.emptyNamespaces.isEmpty),
                    ("cgroups_mode", !options.cgroupsMode.isEmpty), ("no_new_keyring", options.noNewKeyring),
                    ("criu_work_path", !options.criuWorkPath.isEmpty),
                    ("criu_image_path", !options.criuImagePath.isEmpty),
                ])
        case Containerd_Runc_V1_Options.protoMessageName:
            let options: Containerd_Runc_V1_Options = try Self.decode(any)
            take(uid: options.ioUid, gid: options.ioGid, shimCgroup: options.shimCgroup)
            if !options.binaryName.isEmpty { binaryName = options.binaryName }
            if !options.root.isEmpty { root = options.root }
            systemdCgroup = options.systemdCgroup
            ignore(
                name,
                [
                    ("no_pivot_root", options.noPivotRoot), ("no_new_keyring", options.noNewKeyring),
                    ("criu_path", !options.criuPath.isEmpty), ("criu_image_path", !options.criuImagePath.isEmpty),
                    ("criu_work_path", !options.criuWorkPath.isEmpty),
                ])
        default:
            throw Failure(
                description: "unsupported runtime options type \"\(any.typeURL)\" (expected "
                    + "\(Runtimeoptions_V1_Options.protoMessageName), "
                    + "\(Containerd_Linux_Runc_CreateOptions.protoMessageName) or "
                    + "\(Containerd_Runc_V1_Options.protoMessageName))")
        }
    }

    /// The options of `start`'s stdin, or nil when it holds none of the three types (containerd 2.3+ sends
    /// BootstrapParams there, and no options at all is common).
    static func fromStartInput(_ bytes: [UInt8]) -> RuntimeOptions? {
        guard let any = StartInput.anyOptions(bytes) else { return nil }
        return try? RuntimeOptions(decoding: any)
    }

    /// runsc.toml's settings with these options on top: the options name the task, the file the runtime.
    func applied(to config: RunscShimConfig) -> RunscShimConfig {
        var config = config
        if let binaryName { config.binaryName = binaryName }
        if let root { config.root = root }
        if let ioUID { config.ioUID = ioUID }
        if let ioGID { config.ioGID = ioGID }
        if let shimCgroup { config.shimCgroup = shimCgroup }
        if systemdCgroup { config.runscConfig["systemd-cgroup"] = "true" }
        return config
    }

    private mutating func take(uid: UInt32, gid: UInt32, shimCgroup: String) {
        // proto3 cannot tell 0 from unset; 0 (root) is also the shim's default owner.
        if uid != 0 { ioUID = uid }
        if gid != 0 { ioGID = gid }
        if !shimCgroup.isEmpty { self.shimCgroup = shimCgroup }
    }

    private mutating func ignore(_ message: String, _ fields: [(String, Bool)]) {
        ignored += fields.filter(\.1).map { "\(message).\($0.0)" }
    }

    private static func decode<M: SwiftProtobuf.Message>(_ any: Google_Protobuf_Any) throws(Failure) -> M {
        do { return try M(serializedBytes: any.value) } catch {
            throw Failure(description: "malformed \(M.protoMessageName): \(error)")
        }
    }
}
