/// Why an install, uninstall or check could not go on. Every case names the file (host path as seen by this
/// process) or the command, and what was expected; nothing has been written when a planning error is thrown.
public enum InstallerError: Error, Sendable, Hashable, CustomStringConvertible {
    case containerdConfigMissing(path: String)
    case unreadable(path: String, reason: String)
    case malformedTOML(path: String, line: Int, column: Int, message: String)
    case unsupportedConfigVersion(path: String, found: String)
    /// runsc is defined in a form the line editor does not rewrite (an inline table holding it).
    case cannotEdit(path: String, line: Int, reason: String)
    case contentMissing(path: String, what: String)
    case writeFailed(path: String, reason: String)
    case invalidConfiguration(String)
    case restartFailed(command: String, status: String, output: String)
    /// The edited document did not come out as intended; nothing was written.
    case verificationFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .containerdConfigMissing(let path):
            "\(path): containerd config not found (expected the node's config.toml, as containerd or "
                + "gardener-node-agent writes it)"
        case .unreadable(let path, let reason):
            "\(path): cannot read: \(reason)"
        case .malformedTOML(let path, let line, let column, let message):
            "\(path), line \(line), column \(column): not valid TOML: \(message)"
        case .unsupportedConfigVersion(let path, let found):
            "\(path): version: found \(found), expected an integer 1, 2, 3 or 4 (absent means 1)"
        case .cannotEdit(let path, let line, let reason):
            "\(path), line \(line): \(reason); edit that entry by hand, then run again"
        case .contentMissing(let path, let what):
            "\(path): \(what) is missing from the installation content"
        case .writeFailed(let path, let reason):
            "\(path): cannot write: \(reason)"
        case .invalidConfiguration(let message):
            "invalid configuration: \(message)"
        case .restartFailed(let command, let status, let output):
            "restart command `\(command)` failed (\(status))" + (output.isEmpty ? "" : ": \(output)")
        case .verificationFailed(let path, let reason):
            "\(path): the edit did not verify (\(reason)); nothing was written"
        }
    }
}
