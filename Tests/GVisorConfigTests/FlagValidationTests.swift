import GVisorConfig
import Testing

@Suite("configFlags validation")
struct FlagValidationTests {
    @Test(arguments: [
        ("net-raw", "true", "true"), ("net-raw", "false", "false"), ("debug", "true", "true"),
        ("debug", "false", "false"), ("nvproxy", "true", "true"), ("nvproxy", "false", "false"),
        ("panic-signal", "12", "12"), ("panic-signal", "-1", "-1"), ("panic-signal", "1", "1"),
        ("panic-signal", "64", "64"), ("panic-signal", "+012", "12"),
    ])
    func acceptsAllowedValues(key: String, value: String, canonical: String) throws {
        let validation = try RunscConfigFlags.validate([key: value], mode: .strict)
        #expect(validation.findings.isEmpty)
        #expect(validation.flags[try #require(RunscFlag(rawValue: key))] == canonical)
    }

    @Test(arguments: [
        ("net-raw", "yes"), ("net-raw", "True"), ("net-raw", ""), ("net-raw", " true"), ("debug", "1"),
        ("nvproxy", "TRUE"), ("panic-signal", "abc"), ("panic-signal", "99"), ("panic-signal", "0"),
        ("panic-signal", "-2"), ("panic-signal", "65"), ("panic-signal", " 12"), ("panic-signal", "12.0"),
        ("panic-signal", "0x0c"), ("panic-signal", "99999999999999999999999"), ("panic-signal", "١٢"),
    ])
    func rejectsInvalidValuesOfAllowedFlags(key: String, value: String) throws {
        let flag = try #require(RunscFlag(rawValue: key))
        let error = #expect(throws: FlagValidationError.self) {
            try RunscConfigFlags.validate([key: value], mode: .strict)
        }
        let expected = FlagFinding(
            key: key, value: value, problem: .invalidValue, expected: flag.expected, severity: .error)
        #expect(error?.findings == [expected])
        #expect(error?.description.contains("configFlags.\(key): invalid value") == true)

        let lenient = try RunscConfigFlags.validate([key: value], mode: .lenient)
        #expect(lenient.flags == RunscConfigFlags())
        #expect(lenient.findings == [expected])
    }

    static let mixed = [
        "net-raw": "true", "panic-signal": "99", "nvproxy-docker": "true", "network": "host", "debug": "true",
        "platform": "kvm",
    ]

    @Test func strictModeRejectsEveryUnknownOrInvalidKeyAtOnce() {
        let error = #expect(throws: FlagValidationError.self) {
            try RunscConfigFlags.validate(Self.mixed, mode: .strict)
        }
        #expect(error?.findings.map(\.key) == ["network", "nvproxy-docker", "panic-signal", "platform"])
        #expect(error?.findings.map(\.severity) == [.warning, .warning, .error, .warning])
        for key in ["network", "nvproxy-docker", "panic-signal", "platform"] {
            #expect(error?.description.contains("configFlags.\(key):") == true)
        }
        #expect(error?.description.contains("configFlags has 4 rejected entries") == true)
    }

    @Test func lenientModeKeepsTheValidFlagsAndReportsTheRest() throws {
        let validation = try RunscConfigFlags.validate(Self.mixed, mode: .lenient)
        #expect(validation.flags == RunscConfigFlags(netRaw: true, debug: true))
        #expect(
            validation.findings == [
                FlagFinding(
                    key: "network", value: "host", problem: .unknownFlag,
                    expected: "one of debug, net-raw, nvproxy, panic-signal", severity: .warning),
                FlagFinding(
                    key: "nvproxy-docker", value: "true", problem: .unknownFlag,
                    expected: "one of debug, net-raw, nvproxy, panic-signal", severity: .warning),
                FlagFinding(
                    key: "panic-signal", value: "99", problem: .invalidValue,
                    expected: RunscFlag.panicSignal.expected, severity: .error),
                FlagFinding(
                    key: "platform", value: "kvm", problem: .unknownFlag,
                    expected: "one of debug, net-raw, nvproxy, panic-signal", severity: .warning),
            ])
    }

    @Test func findingsAreSortedWhateverTheInsertionOrder() throws {
        let keys = (0..<40).map { "unknown-\($0)" } + ["Zeta", "alpha", "ä", "net-raw"]
        var forward: [String: String] = [:]
        for key in keys { forward[key] = "x" }
        var backward: [String: String] = Dictionary(minimumCapacity: 256)
        for key in keys.reversed() { backward[key] = "x" }
        let a = try RunscConfigFlags.validate(forward, mode: .lenient).findings
        let b = try RunscConfigFlags.validate(backward, mode: .lenient).findings
        #expect(a == b)
        #expect(a.map(\.key) == keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    @Test func absentConfigFlagsValidateToNoFlags() throws {
        let validation = try GVisorConfiguration.empty.validatedFlags()
        #expect(validation == FlagValidation(flags: RunscConfigFlags(), findings: []))
    }

    @Test func typedInitializerMatchesValidation() throws {
        let typed = RunscConfigFlags(netRaw: false, debug: true, nvproxy: true, panicSignal: .sigusr2)
        let validated = try RunscConfigFlags.validate(
            ["net-raw": "false", "debug": "true", "nvproxy": "true", "panic-signal": "12"], mode: .strict)
        #expect(typed == validated.flags)
        #expect(PanicSignal(rawValue: 65) == nil)
        #expect(PanicSignal(rawValue: 0) == nil)
        #expect(PanicSignal.disabled.rawValue == -1)
    }

    @Test(
        arguments: [
            (["net-raw=true"], ["net-raw": "true"]),
            (["panic-signal=-1", "debug=false"], ["panic-signal": "-1", "debug": "false"]),
            (["weird=a=b"], ["weird": "a=b"]),
            (["empty="], ["empty": ""]),
            ([], [:]),
        ] as [([String], [String: String])])
    func parsesFlagAssignments(arguments: [String], expected: [String: String]) throws {
        #expect(try GVisorConfiguration.configFlags(fromAssignments: arguments) == expected)
    }

    @Test(arguments: [
        (["net-raw"], "expected key=value"), (["=true"], "expected key=value"),
        (["debug=true", "debug=false"], "debug is given more than once"),
    ])
    func rejectsBadFlagAssignments(arguments: [String], reason: String) {
        let error = #expect(throws: FlagAssignmentError.self) {
            try GVisorConfiguration.configFlags(fromAssignments: arguments)
        }
        #expect(error?.reason.contains(reason) == true)
    }
}
