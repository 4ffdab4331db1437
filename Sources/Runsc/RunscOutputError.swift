/// runsc succeeded but printed something other than what the subcommand promises.
///
/// Each case names the output and, where it applies, the JSON field (`data.memory.usage`, `[2]`), so a
/// report points at the exact spot.
public enum RunscOutputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Nothing (or only whitespace) was printed.
    case empty(output: RunscOutput)
    /// The text is not JSON.
    case malformedJSON(output: RunscOutput, detail: String)
    /// A required field is absent.
    case missingField(output: RunscOutput, field: String)
    /// A field holds the wrong kind of JSON value (or null).
    case wrongType(output: RunscOutput, field: String, expected: String)
    /// A field is well-formed JSON but its value is not acceptable.
    case invalidValue(output: RunscOutput, field: String, value: String, expected: String)

    public var description: String {
        switch self {
        case .empty(let output):
            "\(output) is empty"
        case .malformedJSON(let output, let detail):
            "\(output) is not valid JSON: \(detail)"
        case .missingField(let output, let field):
            "\(output) lacks the required field \(field)"
        case .wrongType(let output, let field, let expected):
            "\(output) field \(field): expected \(expected)"
        case .invalidValue(let output, let field, let value, let expected):
            "\(output) field \(field) is \(value): expected \(expected)"
        }
    }
}
