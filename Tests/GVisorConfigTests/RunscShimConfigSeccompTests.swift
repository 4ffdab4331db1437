import GVisorConfig
import Testing

/// `shim_seccomp`: the shim's own seccomp filter, on unless runsc.toml switches it off.
@Suite struct RunscShimConfigSeccompTests {
    @Test func onByDefault() throws {
        #expect(RunscShimConfig().shimSeccomp)
        #expect(try RunscShimConfig.parse("[runsc_config]\nplatform = \"ptrace\"\n").config.shimSeccomp)
    }

    @Test(arguments: [("shim_seccomp = false", false), ("shim_seccomp = true", true)])
    func switchedByTheKey(text: String, expected: Bool) throws {
        let loaded = try RunscShimConfig.parse(text + "\n[runsc_config]\n")
        #expect(loaded.config.shimSeccomp == expected)
        #expect(loaded.warnings.isEmpty, "shim_seccomp is a known key")
    }

    @Test func aWrongTypeNamesTheKey() {
        let error = #expect(throws: RunscTOMLError.self) { try RunscShimConfig.parse("shim_seccomp = \"no\"") }
        #expect(error?.key == "shim_seccomp")
        #expect(error?.description.contains("expected a boolean (true or false)") == true)
    }
}
