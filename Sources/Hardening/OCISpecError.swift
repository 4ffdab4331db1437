import FoundationEssentials

/// Something in an OCI runtime spec (config.json) that runsc would reject or run unsafely, named
/// by its field path (`linux.seccomp.syscalls[2].names[0]`, `process.capabilities.bounding[3]`).
public struct OCISpecError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Dotted path with array indexes; empty for the document as a whole.
    public var field: String
    public var message: String
    /// The spec file, when known (the shim sets the bundle's config.json).
    public var file: String?

    public init(field: String, message: String, file: String? = nil) {
        self.field = field
        self.message = message
        self.file = file
    }

    public var description: String {
        (file.map { "\($0): " } ?? "") + (field.isEmpty ? "" : "\(field): ") + message
    }

    /// Names the field a JSONDecoder error is about.
    init(decoding error: any Error) {
        guard let error = error as? DecodingError else {
            self.init(field: "", message: "not valid JSON: \(error)")
            return
        }
        switch error {
        case .keyNotFound(let key, let context):
            self.init(field: Self.path(context.codingPath + [key]), message: "missing, but required")
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            self.init(field: Self.path(context.codingPath), message: "expected \(Self.describe(type))")
        case .dataCorrupted(let context):
            let underlying = context.underlyingError.map { ": \($0)" } ?? ""
            self.init(field: Self.path(context.codingPath), message: "\(context.debugDescription)\(underlying)")
        @unknown default:
            self.init(field: "", message: "\(error)")
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is UInt64.Type, is UInt32.Type, is UInt.Type: "a non-negative integer"
        case is [String].Type: "an array of strings"
        case is Array<Any>.Type: "an array"
        default: "a value of type \(type)"
        }
    }
}
