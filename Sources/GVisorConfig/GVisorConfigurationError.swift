/// Why a `GVisorConfiguration` document was rejected, with the field path and source position where known.
///
/// The Go extension wraps every decode failure as `ERR_CONFIGURATION_PROBLEM`; callers that report to Gardener can do
/// the same with ``description``, which names the field, what was found and what was expected.
public struct GVisorConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Problem: Sendable, Hashable {
        /// Nothing but whitespace or comments.
        case emptyDocument
        /// The bytes are not UTF-8.
        case invalidUTF8
        /// The YAML/JSON parser gave up; the text is the parser's own message.
        case malformed(String)
        /// The same key appears more than once in one mapping.
        case duplicateKeys([String])
        case missingField(expected: String)
        case wrongType(found: String, expected: String)
        case wrongValue(found: String, expected: String)
        case unknownField(known: [String])
        /// The file could not be read; the text is the system's reason.
        case unreadableFile(String)
    }

    public var problem: Problem
    /// Dotted field path such as `configFlags.net-raw`; empty when the problem concerns the whole document.
    public var path: String
    public var format: GVisorConfiguration.DocumentFormat
    public var position: SourcePosition?
    /// The file the document came from, when it came from one.
    public var file: String?
    /// A concrete way to fix the document, when there is an obvious one.
    public var hint: String?

    public init(
        _ problem: Problem, path: String = "", format: GVisorConfiguration.DocumentFormat = .yaml,
        position: SourcePosition? = nil, file: String? = nil, hint: String? = nil
    ) {
        self.problem = problem
        self.path = path
        self.format = format
        self.position = position
        self.file = file
        self.hint = hint
    }

    public var description: String {
        var text = file.map { "\($0): " } ?? ""
        text += "GVisorConfiguration (\(format))"
        if let position { text += ", \(position)" }
        text += ": "
        let subject = path.isEmpty ? "" : "\(path): "
        switch problem {
        case .emptyDocument:
            text += "the document is empty; expected a mapping with apiVersion \"\(GVisorConfiguration.apiVersion)\""
            text += " and kind \"\(GVisorConfiguration.kind)\""
        case .invalidUTF8:
            text += "the document is not valid UTF-8"
        case .malformed(let message):
            text += "malformed \(format) document: \(message)"
        case .duplicateKeys(let keys):
            text += "\(subject)duplicate key \(keys.joined(separator: ", ")); every key may appear only once"
        case .missingField(let expected):
            text += "\(subject)missing; expected \(expected)"
        case .wrongType(let found, let expected), .wrongValue(let found, let expected):
            text += "\(subject)found \(found), expected \(expected)"
        case .unknownField(let known):
            text += "\(subject)unknown field; known fields are \(known.joined(separator: ", "))"
        case .unreadableFile(let reason):
            text += "cannot read the file: \(reason)"
        }
        if let hint { text += " (\(hint))" }
        return text
    }
}

/// A 1-based line and column in a source document.
public struct SourcePosition: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "line \(line), column \(column)" }
}
