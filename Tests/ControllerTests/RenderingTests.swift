import Controller
import GVisorConfig
import GVisorConfigYAML
import Kubernetes
import Testing

@Suite(.timeLimit(.minutes(2))) struct RenderingTests {
    func installation(_ flags: [String: String]?, pool: String = "p") -> Rendering.Installation {
        Rendering.Installation(
            pool: pool, binaryPath: "/var/bin/containerruntimes",
            poolSelector: ["worker.gardener.cloud/pool": pool, "worker.garden.sapcloud.io/group": pool],
            configuration: GVisorConfiguration(configFlags: flags), image: "img:1")
    }

    @Test func sameInputSameBytes() {
        // Dictionaries built in different orders (Swift randomises hashing per process and per instance).
        var forward: [String: String] = [:]
        for key in ["debug", "net-raw", "nvproxy", "panic-signal"] {
            forward[key] = key == "panic-signal" ? "12" : "true"
        }
        var backward: [String: String] = [:]
        for key in ["panic-signal", "nvproxy", "net-raw", "debug"] {
            backward[key] = key == "panic-signal" ? "12" : "true"
        }
        let first = Manifest.yaml(Rendering.installationObjects(installation(forward)))
        let second = Manifest.yaml(Rendering.installationObjects(installation(backward)))
        #expect(first == second)
        #expect(
            ManagedResources.secretName(managedResource: "m", data: ["config.yaml": Array(first.utf8)])
                == ManagedResources.secretName(managedResource: "m", data: ["config.yaml": Array(second.utf8)]))
        #expect(Manifest.yaml(Rendering.sharedObjects()) == Manifest.yaml(Rendering.sharedObjects()))
    }

    @Test func configurationChangesTheChecksumAndSecretName() {
        let a = Manifest.yaml(Rendering.installationObjects(installation(["net-raw": "true"])))
        let b = Manifest.yaml(Rendering.installationObjects(installation(["net-raw": "false"])))
        #expect(a != b)
        let checksum = { (text: String) in
            text.split(separator: "\n").first { $0.contains("checksum/configmap-containerd-gvisor") }
        }
        #expect(checksum(a) != nil)
        #expect(checksum(a) != checksum(b))
        #expect(
            ManagedResources.secretName(managedResource: "m", data: ["config.yaml": Array(a.utf8)])
                != ManagedResources.secretName(managedResource: "m", data: ["config.yaml": Array(b.utf8)]))
    }

    @Test func secretNameFormat() {
        let name = ManagedResources.secretName(managedResource: "extension-runtime-gvisor", data: ["config.yaml": []])
        #expect(name.hasPrefix("managedresource-extension-runtime-gvisor-"))
        #expect(name.count == "managedresource-extension-runtime-gvisor-".count + 8)
    }

    @Test func installerConfigurationIsTheValidatedFlagsAndPassesStrictValidation() throws {
        let configuration = GVisorConfiguration(configFlags: ["panic-signal": "+012", "debug": "true", "bogus": "1"])
        let validation = try configuration.validatedFlags(mode: .lenient)
        let installer = Rendering.installerConfiguration(validation.flags)
        #expect(installer.configFlags == ["panic-signal": "12", "debug": "true"])
        // What the node reads back validates strictly and renders runsc.toml.
        let decoded = try GVisorConfiguration(decoding: installer.yaml())
        let rendered = try decoded.renderRunscTOML(mode: .strict)
        #expect(rendered.text.contains("panic-signal = \"12\""))
        #expect(Rendering.installerConfiguration(RunscConfigFlags()).configFlags == nil)
    }

    @Test func yamlQuotesStringsAndSortsKeys() {
        let yaml = Manifest.yaml([
            ["b": "true", "a": ["x": 1, "list": ["one", ["k": "v", "j": false]]], "empty": [:], "none": []]
        ])
        #expect(
            yaml == """
                a:
                  list:
                  - "one"
                  - j: false
                    k: "v"
                  x: 1
                b: "true"
                empty: {}
                none: []

                """)
        #expect(Manifest.yaml([["k": "line\n\"q\""], ["m": 1]]) == "k: \"line\\n\\\"q\\\"\"\n---\nm: 1\n")
        // YAML 1.1 reads a bare n, yes, on ... as booleans: such keys are quoted.
        #expect(Manifest.yaml([["n": 1, "on": 2]]) == "\"n\": 1\n\"on\": 2\n")
    }
}
