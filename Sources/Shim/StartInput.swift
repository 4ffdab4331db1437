import ShimAPI
import SwiftProtobuf

/// What containerd writes to the shim's stdin for `start` and `-info`: the runtime options as a bare
/// `Any` (containerd 1.6-2.2, and `-info` on every version), or, from containerd 2.3 on, a
/// `BootstrapParams` whose `extensions` carry that same `Any` (containerd pkg/shim/util.go `Command`,
/// api/runtime/bootstrap/v1/bootstrap.proto). Either way the shim needs the options' `config_path`.
public enum StartInput {
    /// The runtime options `Any`, from either form; nil when stdin holds neither.
    public static func runtimeOptions(_ stdin: [UInt8]) -> Google_Protobuf_Any? {
        firstOptions(in: stdin, where: isRuntimeOptions)
    }

    /// The options' `config_path` (runsc.toml), when containerd sent one.
    public static func configPath(_ stdin: [UInt8]) -> String? {
        guard let any = runtimeOptions(stdin),
            let options = try? Runtimeoptions_V1_Options(serializedBytes: any.value), !options.configPath.isEmpty
        else { return nil }
        return options.configPath
    }

    /// The options `Any` of any type the shim accepts (gVisor's and the two runc types, ``RuntimeOptions``), from
    /// either form; nil when stdin holds none.
    public static func anyOptions(_ stdin: [UInt8]) -> Google_Protobuf_Any? {
        firstOptions(in: stdin, where: isAcceptedOptions)
    }

    /// The bare `Any` when it matches, else the first matching `BootstrapParams` extension.
    private static func firstOptions(
        in stdin: [UInt8], where matches: (Google_Protobuf_Any) -> Bool
    ) -> Google_Protobuf_Any? {
        guard !stdin.isEmpty else { return nil }
        if let any = try? Google_Protobuf_Any(serializedBytes: stdin), matches(any) { return any }
        // A BootstrapParams read as an Any has the instance id as its type URL, so `matches` refuses it.
        guard let params = try? Containerd_Runtime_Bootstrap_V1_BootstrapParams(serializedBytes: stdin) else {
            return nil
        }
        return params.extensions.map(\.value).first(where: matches)
    }

    /// gVisor's options type (`runtimeoptions.v1.Options`), the one that names runsc.toml.
    static func isRuntimeOptions(_ any: Google_Protobuf_Any) -> Bool {
        messageName(any) == Runtimeoptions_V1_Options.protoMessageName
    }

    static func isAcceptedOptions(_ any: Google_Protobuf_Any) -> Bool {
        [
            Runtimeoptions_V1_Options.protoMessageName, Containerd_Linux_Runc_CreateOptions.protoMessageName,
            Containerd_Runc_V1_Options.protoMessageName,
        ].contains(messageName(any))
    }

    private static func messageName(_ any: Google_Protobuf_Any) -> String {
        any.typeURL.split(separator: "/").last.map(String.init) ?? ""
    }
}
