/// Input that cannot become a sound runsc command line, named by field.
public struct RunscArgumentError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The option or parameter at fault (`"id"`, `"pidFile"`, `"extraFlags[2]"`).
    public var field: String
    /// The value given.
    public var value: String
    /// What would have been accepted.
    public var expected: String

    public init(field: String, value: String, expected: String) {
        self.field = field
        self.value = value
        self.expected = expected
    }

    public var description: String {
        "invalid runsc argument \(field) \"\(value)\": expected \(expected)"
    }
}
