// The containerd config.toml fuzz harness, shared by the containerd-config-fuzz executable and (through a symbolic
// link) by NodeInstallerTests, which replays the committed corpus and regressions through it on every test run.

import NodeInstaller

/// Feeds one input to gvisor-node's containerd config editor (`ContainerdConfig`, what install, uninstall, run and
/// doctor build from the node's config.toml) and every edit it offers. Invariants: nothing aborts (toml++ asserts
/// on some invalid documents; issue 17); an error names the file; an accepted document's registration parses
/// again as registered and is then left alone, its removal parses again without runsc, and its drop-in is current.
/// Violations trap.
enum ContainerdConfigFuzzHarness {
    static let path = "fuzz/config.toml"

    /// Whether the editor accepted the input.
    @discardableResult
    static func run(_ input: [UInt8]) -> Bool {
        // gvisor-node reads the file as UTF-8 and refuses anything else before parsing.
        guard let text = String(validating: input, as: UTF8.self) else { return false }
        let config: ContainerdConfig
        do {
            config = try ContainerdConfig(text: text, path: path)
        } catch {
            precondition("\(error)".contains(path), "error does not name the file: \(error)")
            return false
        }
        _ = config.handlerState
        _ = config.dropInPath(configPath: "/etc/containerd/config.toml")
        do {
            if let registered = try config.registeringRunsc() {
                let again = reparse(registered, after: "registering runsc")
                precondition(again.handlerState.isClean, "registration is not clean: \(again.handlerState)")
                precondition((try? again.registeringRunsc()) == .some(nil), "registration is not idempotent")
            }
        } catch {
            precondition("\(error)".contains(path), "error does not name the file: \(error)")
        }
        do {
            if let removed = try config.removingRunsc() {
                let again = reparse(removed, after: "removing runsc")
                precondition(again.handlerState.isAbsent, "removal left runsc: \(again.handlerState)")
            }
        } catch {
            precondition("\(error)".contains(path), "error does not name the file: \(error)")
        }
        if let dropIn = try? config.dropIn() {
            precondition(config.dropInIsCurrent(dropIn), "a fresh drop-in is not current")
            _ = reparse(dropIn, after: "writing the drop-in")
        }
        return true
    }

    private static func reparse(_ text: String, after edit: String) -> ContainerdConfig {
        do {
            return try ContainerdConfig(text: text, path: path)
        } catch {
            fatalError("the result of \(edit) does not parse: \(error)\n\(text)")
        }
    }
}
