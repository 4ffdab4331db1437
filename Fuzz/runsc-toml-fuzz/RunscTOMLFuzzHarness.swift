// The runsc.toml fuzz harness, shared by the runsc-toml-fuzz executable and (through a symbolic link) by
// GVisorConfigTests, which replays the committed corpus and regressions through it on every test run.

import GVisorConfig

/// Feeds one input to the runsc.toml parser the shim uses (`RunscShimConfig.parse`, what `load(contentsOfFile:)`
/// calls after its UTF-8 check). Invariants: an error names the file and says something; an accepted document's
/// `[runsc_config]` table survives gvisor-node's writer and a second parse unchanged. Violations trap.
enum RunscTOMLFuzzHarness {
    static let fileName = "fuzz/runsc.toml"

    /// Whether the parser accepted the input.
    @discardableResult
    static func run(_ input: [UInt8]) -> Bool {
        // Invalid UTF-8 is rejected by `load` before parsing, so only text reaches the parser.
        guard let text = String(validating: input, as: UTF8.self) else { return false }
        let loaded: RunscShimConfig.Loaded
        do {
            loaded = try RunscShimConfig.parse(text, file: fileName)
        } catch {
            precondition(error.file == fileName, "error lost its file: \(error)")
            precondition(error.description.contains(fileName), "error text does not name the file: \(error)")
            return false
        }
        let config = loaded.config
        precondition(!config.binaryName.isEmpty && !config.root.isEmpty, "empty default")
        for warning in loaded.warnings {
            precondition(!warning.key.isEmpty && !warning.description.isEmpty, "warning without key")
        }
        _ = config.runscFlags
        let rendered = RunscTOML.render(runscConfig: config.runscConfig)
        do {
            let again = try RunscShimConfig.parse(rendered, file: fileName)
            precondition(
                again.config.runscConfig == config.runscConfig,
                "runsc_config changed through the writer: \(config.runscConfig) -> \(again.config.runscConfig)")
        } catch {
            fatalError("rendered runsc_config does not parse: \(error)\n\(rendered)")
        }
        return true
    }
}
