// The GVisorConfiguration fuzz harness, shared by the gvisor-config-fuzz executable and (through a symbolic link)
// by GVisorConfigTests, which replays the committed corpus and regressions through it on every test run.

import GVisorConfig
import GVisorConfigYAML

/// Feeds one input to the `providerConfig` decoder the controller and gvisor-node use, in both unknown-field
/// policies, then follows an accepted document through its encoders and flag validation into runsc.toml.
/// Invariants: strict acceptance implies the same value leniently; `yaml()` and `json()` decode back to the same
/// value; validated flags render to a runsc.toml the shim's parser accepts with the same table. Violations trap.
enum GVisorConfigFuzzHarness {
    /// Whether the decoder accepted the input (with unknown fields ignored).
    @discardableResult
    static func run(_ input: [UInt8]) -> Bool {
        let strict = decode(input, .reject)
        let lenient = decode(input, .ignore)
        if let strict {
            precondition(
                lenient == strict, "strict and lenient decoding differ: \(strict) vs \(String(describing: lenient))")
        }
        guard let config = lenient else { return false }
        for (format, text) in [("YAML", config.yaml()), ("JSON", config.json())] {
            do {
                let back = try GVisorConfiguration(decoding: text)
                precondition(back == config, "\(format) round trip changed \(config) to \(back)")
            } catch {
                fatalError("own \(format) does not decode: \(error)\n\(text)")
            }
        }
        for mode in [ValidationMode.strict, .lenient] {
            let validation: FlagValidation
            do {
                validation = try config.validatedFlags(mode: mode)
            } catch {
                precondition(mode == .strict, "lenient validation threw: \(error)")
                precondition(!error.description.isEmpty, "empty validation error")
                continue
            }
            let text = validation.flags.runscTOML()
            var expected: [String: String] = [:]
            for entry in validation.flags.runscConfig { expected[entry.key] = entry.value }
            do {
                let loaded = try RunscShimConfig.parse(text)
                precondition(loaded.config.runscConfig == expected, "rendered flags changed: \(expected)")
            } catch {
                fatalError("rendered runsc.toml does not parse: \(error)\n\(text)")
            }
        }
        return true
    }

    private static func decode(
        _ input: [UInt8], _ policy: GVisorConfiguration.UnknownFieldPolicy
    ) -> GVisorConfiguration? {
        do {
            return try GVisorConfiguration(decoding: input, unknownFields: policy)
        } catch {
            precondition(!error.description.isEmpty, "empty decoding error")
            return nil
        }
    }
}
