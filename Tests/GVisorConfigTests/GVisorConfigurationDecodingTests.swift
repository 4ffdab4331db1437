import Foundation
import GVisorConfig
import GVisorConfigYAML
import Testing

@Suite("GVisorConfiguration decoding")
struct GVisorConfigurationDecodingTests {
    struct Valid: Sendable, CustomStringConvertible {
        var name: String
        var document: String
        var expected: GVisorConfiguration
        var description: String { name }
    }

    static let valid: [Valid] = [
        Valid(
            name: "YAML with flags and test image",
            document: header + """
                configFlags:
                  net-raw: "true"
                  debug: 'false'
                  panic-signal: "12"
                testImageTag: "v0.1.0"
                """,
            expected: GVisorConfiguration(
                configFlags: ["net-raw": "true", "debug": "false", "panic-signal": "12"], testImageTag: "v0.1.0")),
        Valid(
            name: "JSON as a RawExtension carries it",
            document: """
                {"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1",\
                "kind":"GVisorConfiguration","configFlags":{"nvproxy":"true"}}
                """,
            expected: GVisorConfiguration(configFlags: ["nvproxy": "true"])),
        Valid(
            name: "JSON indented with tabs",
            document:
                "{\n\t\"apiVersion\": \"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1\",\n"
                + "\t\"kind\": \"GVisorConfiguration\",\n\t\"testImageTag\": \"latest\"\n}\n",
            expected: GVisorConfiguration(testImageTag: "latest")),
        Valid(name: "no configFlags", document: header, expected: GVisorConfiguration()),
        Valid(
            name: "empty configFlags stays empty, not absent", document: header + "configFlags: {}\n",
            expected: GVisorConfiguration(configFlags: [:])),
        Valid(
            name: "null configFlags is absent", document: header + "configFlags:\ntestImageTag: null\n",
            expected: GVisorConfiguration()),
        Valid(
            name: "plain text that is no bool or number is a string",
            document: header + "configFlags:\n  panic-signal: abc\n  net-raw: yess\n",
            expected: GVisorConfiguration(configFlags: ["panic-signal": "abc", "net-raw": "yess"])),
        Valid(
            name: "explicit !!str tag", document: header + "configFlags:\n  panic-signal: !!str 12\n",
            expected: GVisorConfiguration(configFlags: ["panic-signal": "12"])),
    ]

    @Test(arguments: valid)
    func decodesValidDocuments(_ testCase: Valid) throws {
        #expect(try GVisorConfiguration(decoding: testCase.document) == testCase.expected)
        #expect(try GVisorConfiguration(decoding: Array(testCase.document.utf8)) == testCase.expected)
    }

    struct Invalid: Sendable, CustomStringConvertible {
        var name: String
        var document: String
        var path: String
        var problem: GVisorConfigurationError.Problem
        var format: GVisorConfiguration.DocumentFormat = .yaml
        /// Line and column, when the decoder can know them.
        var position: (Int, Int)?
        /// Text the message must contain beyond the path (e.g. the fix).
        var mentions: [String] = []
        var description: String { name }
    }

    static let group = "gvisor.runtime.extensions.config.gardener.cloud"

    static let invalid: [Invalid] = [
        // The Go extension's "Provider config decoding" table.
        Invalid(
            name: "wrong group (Go table)",
            document: "apiVersion: some.group.com/v1alpha1\nkind: GVisorConfiguration\n", path: "apiVersion",
            problem: .wrongValue(found: "\"some.group.com/v1alpha1\"", expected: "\"\(group)/v1alpha1\""),
            position: (1, 13)),
        Invalid(
            name: "wrong version (Go table)",
            document: "apiVersion: \(group)/v1alpha2\nkind: GVisorConfiguration\n", path: "apiVersion",
            problem: .wrongValue(found: "\"\(group)/v1alpha2\"", expected: "\"\(group)/v1alpha1\""),
            position: (1, 13)),
        Invalid(
            name: "legacy documentation group gets a hint",
            document: "apiVersion: gvisor.os.extensions.gardener.cloud/v1alpha1\nkind: GVisorConfiguration\n",
            path: "apiVersion",
            problem: .wrongValue(
                found: "\"gvisor.os.extensions.gardener.cloud/v1alpha1\"", expected: "\"\(group)/v1alpha1\""),
            position: (1, 13), mentions: ["old documentation"]),
        Invalid(
            name: "wrong kind", document: "apiVersion: \(group)/v1alpha1\nkind: ControllerConfiguration\n",
            path: "kind",
            problem: .wrongValue(found: "\"ControllerConfiguration\"", expected: "\"GVisorConfiguration\""),
            position: (2, 7)),
        Invalid(
            name: "missing apiVersion", document: "kind: GVisorConfiguration\n", path: "apiVersion",
            problem: .missingField(expected: "\"\(group)/v1alpha1\""), position: (1, 1)),
        Invalid(
            name: "missing kind", document: "apiVersion: \(group)/v1alpha1\n", path: "kind",
            problem: .missingField(expected: "\"GVisorConfiguration\""), position: (1, 1)),
        // Types.
        Invalid(
            name: "unquoted YAML true", document: header + "configFlags:\n  net-raw: true\n",
            path: "configFlags.net-raw", problem: .wrongType(found: "a boolean (true)", expected: "a quoted string"),
            position: (4, 12), mentions: ["quote it: net-raw: \"true\""]),
        Invalid(
            name: "YAML 1.1 yes is a boolean too", document: header + "configFlags:\n  debug: yes\n",
            path: "configFlags.debug", problem: .wrongType(found: "a boolean (yes)", expected: "a quoted string"),
            position: (4, 10), mentions: ["debug: \"yes\""]),
        Invalid(
            name: "unquoted YAML number", document: header + "configFlags:\n  panic-signal: 12\n",
            path: "configFlags.panic-signal",
            problem: .wrongType(found: "an integer (12)", expected: "a quoted string"), position: (4, 17),
            mentions: ["panic-signal: \"12\""]),
        Invalid(
            name: "flag without value", document: header + "configFlags:\n  nvproxy:\n", path: "configFlags.nvproxy",
            problem: .wrongType(found: "no value (null)", expected: "a quoted string")),
        Invalid(
            name: "testImageTag that YAML reads as a number", document: header + "testImageTag: 1.2\n",
            path: "testImageTag", problem: .wrongType(found: "a number (1.2)", expected: "a quoted string"),
            position: (3, 15)),
        Invalid(
            name: "JSON boolean",
            document: """
                {"apiVersion": "\(group)/v1alpha1", "kind": "GVisorConfiguration",
                 "configFlags": {"debug": true}}
                """,
            path: "configFlags.debug", problem: .wrongType(found: "a boolean (true)", expected: "a quoted string"),
            format: .json, position: (2, 27), mentions: ["write it as a JSON string: \"debug\": \"true\""]),
        Invalid(
            name: "JSON number",
            document: """
                {"apiVersion": "\(group)/v1alpha1", "kind": "GVisorConfiguration", "configFlags": {"panic-signal": 12}}
                """,
            path: "configFlags.panic-signal",
            problem: .wrongType(found: "an integer (12)", expected: "a quoted string"), format: .json),
        Invalid(
            name: "configFlags as a list", document: header + "configFlags:\n  - net-raw=true\n", path: "configFlags",
            problem: .wrongType(found: "a list", expected: "a mapping of flag names to quoted strings")),
        Invalid(
            name: "configFlags as TOML text (the chart's old shape)",
            document: header + "configFlags: 'net-raw = \"true\"'\n", path: "configFlags",
            problem: .wrongType(
                found: "a string (\"net-raw = \\\"true\\\"\")", expected: "a mapping of flag names to quoted strings")),
        Invalid(
            name: "JSON configFlags as an array",
            document: "{\"apiVersion\": \"\(group)/v1alpha1\", \"kind\": \"GVisorConfiguration\", \"configFlags\": []}",
            path: "configFlags",
            problem: .wrongType(found: "an array", expected: "a mapping of flag names to quoted strings"),
            format: .json),
        Invalid(
            name: "kind as a number", document: "apiVersion: \(group)/v1alpha1\nkind: 3\n", path: "kind",
            problem: .wrongType(found: "an integer (3)", expected: "a quoted string")),
        Invalid(
            name: "unknown field (a typo that would lose every flag)",
            document: header + "configflags:\n  net-raw: \"true\"\n", path: "configflags",
            problem: .unknownField(known: ["apiVersion", "configFlags", "kind", "testImageTag"]),
            position: (3, 1)),
        // Documents.
        Invalid(
            name: "a list at the top", document: "- apiVersion\n", path: "",
            problem: .wrongType(found: "a list", expected: "a mapping with apiVersion and kind")),
        Invalid(name: "empty", document: "", path: "", problem: .emptyDocument),
        Invalid(name: "only comments", document: "# nothing here\n", path: "", problem: .emptyDocument),
        Invalid(
            name: "duplicate key", document: header + "kind: GVisorConfiguration\n", path: "",
            problem: .duplicateKeys(["kind"])),
    ]

    @Test(arguments: invalid)
    func rejectsInvalidDocuments(_ testCase: Invalid) {
        let error = #expect(throws: GVisorConfigurationError.self) {
            try GVisorConfiguration(decoding: testCase.document)
        }
        guard let error else { return }
        #expect(error.problem == testCase.problem)
        #expect(error.path == testCase.path)
        #expect(error.format == testCase.format)
        if let (line, column) = testCase.position {
            #expect(error.position == SourcePosition(line: line, column: column))
        }
        if !testCase.path.isEmpty {
            #expect(error.description.contains("\(testCase.path): "))
        }
        for text in testCase.mentions {
            #expect(error.description.contains(text), "\(error)")
        }
    }

    struct Malformed: Sendable, CustomStringConvertible {
        var name: String
        var document: String
        var format: GVisorConfiguration.DocumentFormat
        var line: Int
        var description: String { name }
    }

    static let malformed: [Malformed] = [
        Malformed(
            name: "unclosed YAML flow list", document: header + "configFlags: [net-raw\n", format: .yaml, line: 4),
        Malformed(
            name: "bad YAML indentation", document: header + "configFlags:\n  a: \"1\"\n b: \"2\"\n", format: .yaml,
            line: 5),
        Malformed(
            name: "tab-indented YAML block", document: header + "configFlags:\n\tnet-raw: \"true\"\n", format: .yaml,
            line: 4),
        Malformed(
            name: "unterminated JSON object",
            document: "{\n  \"apiVersion\": \"\(group)/v1alpha1\",\n  \"kind\": \"GVisorConfiguration\"\n",
            format: .json, line: 4),
        Malformed(name: "unterminated JSON string", document: "{\"apiVersion\": \"abc}\n", format: .json, line: 2),
        Malformed(name: "two YAML documents", document: header + "---\n" + header, format: .yaml, line: 3),
    ]

    @Test(arguments: malformed)
    func malformedDocumentsReportTheirPosition(_ testCase: Malformed) {
        let error = #expect(throws: GVisorConfigurationError.self) {
            try GVisorConfiguration(decoding: testCase.document)
        }
        guard let error else { return }
        guard case .malformed(let message) = error.problem else {
            Issue.record("expected a malformed-document error, got \(error)")
            return
        }
        #expect(!message.isEmpty)
        #expect(error.format == testCase.format)
        #expect(error.position?.line == testCase.line, "\(error)")
        #expect(error.description.contains("malformed \(testCase.format) document"))
    }

    @Test func invalidUTF8IsNamed() {
        #expect(throws: GVisorConfigurationError(.invalidUTF8)) {
            try GVisorConfiguration(decoding: [0x6B, 0x69, 0x6E, 0x64, 0x3A, 0x20, 0xFF])
        }
    }

    @Test func unknownFieldsCanBeIgnoredLikeTheGoDecoder() throws {
        let document = header + "metadata: {}\nconfigFlags:\n  net-raw: \"true\"\n"
        #expect(throws: GVisorConfigurationError.self) { try GVisorConfiguration(decoding: document) }
        let decoded = try GVisorConfiguration(decoding: document, unknownFields: .ignore)
        #expect(decoded == GVisorConfiguration(configFlags: ["net-raw": "true"]))
    }

    @Test(arguments: [nil, "", "  \n\t\n"] as [String?])
    func missingProviderConfigIsTheEmptyConfiguration(_ raw: String?) throws {
        let configuration = try GVisorConfiguration.fromProviderConfig(raw)
        #expect(configuration == .empty)
        #expect(configuration.configFlags == nil)
        #expect(configuration.testImageTag == nil)
    }

    @Test func presentProviderConfigMustBeComplete() {
        #expect(throws: GVisorConfigurationError.self) {
            try GVisorConfiguration.fromProviderConfig("configFlags: {}")
        }
    }

    @Test func fileErrorsNameTheFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let path = directory + "/provider-config.yaml"
        try (header + "configFlags:\n  net-raw: true\n").write(toFile: path, atomically: true, encoding: .utf8)

        let error = #expect(throws: GVisorConfigurationError.self) {
            try GVisorConfiguration(contentsOfFile: path)
        }
        #expect(error?.file == path)
        #expect(error?.description.hasPrefix("\(path): GVisorConfiguration (YAML), line 4, column 12: ") == true)

        let missing = #expect(throws: GVisorConfigurationError.self) {
            try GVisorConfiguration(contentsOfFile: directory + "/absent.yaml")
        }
        guard case .unreadableFile(let reason) = missing?.problem else {
            Issue.record("expected unreadableFile, got \(String(describing: missing))")
            return
        }
        #expect(reason.contains("No such file"))
        #expect(missing?.description.contains(directory + "/absent.yaml") == true)
    }
}
