import Foundation
import ShimAPI
import SwiftProtobuf
import Testing

@testable import Shim

/// `-info` (containerd 2.x introspection) and the runtime options in `start`'s stdin, in both the
/// 1.6-2.2 form (a bare `Any`) and the 2.3+ form (`BootstrapParams.extensions`, containerd
/// pkg/shim/util.go `Command`).
struct ShimInfoTests {
    private func optionsAny(configPath: String) throws -> Google_Protobuf_Any {
        var options = Runtimeoptions_V1_Options()
        options.typeURL = "io.containerd.runsc.v1.options"
        options.configPath = configPath
        return try Google_Protobuf_Any(message: options, typePrefix: "types.containerd.io")
    }

    @Test func configPathFromABareOptionsAny() throws {
        let bytes: [UInt8] = try optionsAny(configPath: "/etc/containerd/runsc.toml").serializedBytes()
        #expect(StartInput.configPath(bytes) == "/etc/containerd/runsc.toml")
    }

    @Test func configPathFromBootstrapParamsExtensions() throws {
        var params = Containerd_Runtime_Bootstrap_V1_BootstrapParams()
        params.instanceID = "abc"
        params.namespace = "k8s.io"
        params.containerdVersion = "2.3.0"
        params.extensions = [
            .with { $0.value = Google_Protobuf_Any.with { $0.typeURL = "types.containerd.io/other.v1.Thing" } },
            .with { $0.value = try! optionsAny(configPath: "/run/runsc-pool-a.toml") },
        ]
        #expect(StartInput.configPath(try params.serializedBytes()) == "/run/runsc-pool-a.toml")
    }

    /// ShimCgroup reaches `start` inside BootstrapParams too (containerd 2.3+ adds the task options as an extension).
    @Test func runcCreateOptionsFromBootstrapParams() throws {
        var create = Containerd_Linux_Runc_CreateOptions()
        create.shimCgroup = "/pods/shim"
        var params = Containerd_Runtime_Bootstrap_V1_BootstrapParams()
        params.instanceID = "abc"
        params.extensions = [.with { $0.value = try! Google_Protobuf_Any(message: create) }]
        #expect(RuntimeOptions.fromStartInput(try params.serializedBytes())?.shimCgroup == "/pods/shim")
        #expect(StartInput.configPath(try params.serializedBytes()) == nil)
    }

    @Test func noOptionsInEmptyOrForeignInput() throws {
        #expect(StartInput.runtimeOptions([]) == nil)
        let runc = Google_Protobuf_Any.with { $0.typeURL = "containerd.runc.v1.Options" }
        #expect(StartInput.configPath(try runc.serializedBytes()) == nil)
        #expect(StartInput.configPath(Array("not protobuf at all \u{1}\u{2}".utf8)) == nil)
    }

    @Test func runscVersionParsesBothRunscReleases() throws {
        let new = try ShimInfo.RunscVersion(versionOutput: "runsc version 0.0~20240729.0\nspec: 1.2.0\n")
        #expect(new.version == "0.0~20240729.0" && new.spec == "1.2.0")
        let old = try ShimInfo.RunscVersion(versionOutput: "runsc version 0.0~20221219.0\nspec: 1.0.2-dev\n")
        #expect(old.spec == "1.0.2-dev")
        #expect(throws: ShimInfo.Failure.self) { try ShimInfo.RunscVersion(versionOutput: "usage: runsc") }
    }

    /// containerd's CRI decodes `features` as runtime-spec features.Features and offers user-namespaced pods only
    /// when `linux.namespaces` has "user" and `mountExtensions.idmap.enabled` is true
    /// (internal/cri/server/service.go `supportsCRIUserns`); runsc does not apply idmap mounts, so it is false.
    @Test func runtimeInfoCarriesNameVersionOptionsAndFeatures() throws {
        let runsc = try ShimInfo.RunscVersion(versionOutput: "runsc version 0.0~20240729.0\nspec: 1.2.0")
        let options = try optionsAny(configPath: "/etc/containerd/runsc.toml")
        let info = try ShimInfo.runtimeInfo(runsc: runsc, options: options, ociSeccomp: nil)
        let decoded = try Containerd_Types_RuntimeInfo(serializedBytes: try info.serializedBytes() as [UInt8])
        #expect(decoded.name == "io.containerd.runsc.v1")
        #expect(decoded.version.revision == "runsc 0.0~20240729.0")
        #expect(try Runtimeoptions_V1_Options(unpackingAny: decoded.options).configPath == "/etc/containerd/runsc.toml")
        #expect(decoded.annotations["io.github.gvisor.runsc.spec"] == "1.2.0")
        #expect(decoded.features.typeURL == "types.containerd.io/opencontainers/runtime-spec/1/features/Features")
        let json = try JSONSerialization.jsonObject(with: decoded.features.value) as? [String: Any]
        let linux = json?["linux"] as? [String: Any]
        #expect(json?["ociVersionMax"] as? String == "1.2.0")
        #expect((linux?["namespaces"] as? [String])?.contains("user") == true)
        let idmap = (linux?["mountExtensions"] as? [String: Any])?["idmap"] as? [String: Any]
        #expect(idmap?["enabled"] as? Bool == false)
        #expect((linux?["capabilities"] as? [String])?.contains("CAP_SYS_ADMIN") == true)
        #expect((linux?["seccomp"] as? [String: Any])?["enabled"] as? Bool == false)
        let seccompOn = ShimInfo.featuresJSON(runsc: runsc, ociSeccomp: "true")
        #expect(seccompOn.contains(#""seccomp":{"enabled":true"#))
    }
}
