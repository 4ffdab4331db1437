import Foundation
import GVisorConfig
import GVisorConfigYAML
import Testing

@Suite("GVisorConfiguration encoding")
struct GVisorConfigurationEncodingTests {
    @Test func yamlIsSortedAndQuoted() {
        let configuration = GVisorConfiguration(
            configFlags: ["panic-signal": "12", "debug": "true", "net-raw": "false"], testImageTag: "v1.2")
        #expect(
            configuration.yaml() == """
                apiVersion: gvisor.runtime.extensions.config.gardener.cloud/v1alpha1
                configFlags:
                  debug: "true"
                  net-raw: "false"
                  panic-signal: "12"
                kind: GVisorConfiguration
                testImageTag: "v1.2"

                """)
    }

    @Test func jsonIsSortedAndIndented() {
        let configuration = GVisorConfiguration(configFlags: ["nvproxy": "true", "debug": "true"])
        #expect(
            configuration.json() == """
                {
                  "apiVersion": "gvisor.runtime.extensions.config.gardener.cloud/v1alpha1",
                  "configFlags": {
                    "debug": "true",
                    "nvproxy": "true"
                  },
                  "kind": "GVisorConfiguration"
                }

                """)
    }

    static let tricky = [
        "", "true", "12", "null", "yes", "~", "a\"b", "back\\slash", "tab\there", "new\nline", "cr\rlf", "bell\u{7}",
        "del\u{7F}", "nel\u{85}", "ls\u{2028}ps\u{2029}", "bom\u{FEFF}", "ünïcødé", "emoji 🎉", " leading", "trailing ",
        "# not a comment", "key: value", "- item", "{flow}", "[list]", "&anchor", "*alias", "!tag", "%ID%", "'single'",
    ]

    static let roundTrips: [GVisorConfiguration] =
        [
            .empty,
            GVisorConfiguration(configFlags: [:]),
            GVisorConfiguration(testImageTag: "latest"),
            GVisorConfiguration(configFlags: [
                "net-raw": "true", "debug": "false", "nvproxy": "true", "panic-signal": "-1",
            ]),
            GVisorConfiguration(
                configFlags: Dictionary(uniqueKeysWithValues: tricky.enumerated().map { ("k\($0)", $1) })),
            // Keys that YAML would otherwise read as booleans, numbers or null, and other oddities.
            GVisorConfiguration(
                configFlags: Dictionary(uniqueKeysWithValues: tricky.filter { !$0.isEmpty }.map { ($0, "v") }),
                testImageTag: "tag\nwith\u{0}nul"),
        ]

    @Test(arguments: roundTrips)
    func yamlRoundTrips(_ configuration: GVisorConfiguration) throws {
        let yaml = configuration.yaml()
        #expect(try GVisorConfiguration(decoding: yaml) == configuration, "\(yaml)")
    }

    @Test(arguments: roundTrips)
    func jsonRoundTrips(_ configuration: GVisorConfiguration) throws {
        let json = configuration.json()
        #expect(try GVisorConfiguration(decoding: json) == configuration, "\(json)")
    }

    /// An independent JSON parser agrees with ours about what the encoder wrote.
    @Test(arguments: roundTrips)
    func jsonIsValidForFoundation(_ configuration: GVisorConfiguration) throws {
        let object = try JSONSerialization.jsonObject(with: Data(configuration.json().utf8)) as? [String: Any]
        #expect(object?["apiVersion"] as? String == GVisorConfiguration.apiVersion)
        #expect(object?["kind"] as? String == GVisorConfiguration.kind)
        #expect(object?["configFlags"] as? [String: String] == configuration.configFlags)
        #expect(object?["testImageTag"] as? String == configuration.testImageTag)
    }

    @Test func outputDoesNotDependOnInsertionOrder() {
        let pairs = [("panic-signal", "12"), ("debug", "true"), ("net-raw", "true"), ("nvproxy", "false"), ("x", "y")]
        var forward: [String: String] = [:]
        for (key, value) in pairs { forward[key] = value }
        var backward: [String: String] = Dictionary(minimumCapacity: 64)
        for (key, value) in pairs.reversed() { backward[key] = value }
        let a = GVisorConfiguration(configFlags: forward)
        let b = GVisorConfiguration(configFlags: backward)
        #expect(utf8(a.yaml()) == utf8(b.yaml()))
        #expect(utf8(a.json()) == utf8(b.json()))
        #expect(utf8(a.yaml()) == utf8(a.yaml()))
    }
}
