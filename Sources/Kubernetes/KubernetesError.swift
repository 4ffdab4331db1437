/// An API error as the server reports it (`metav1.Status`): the HTTP code, the machine-readable reason and the
/// server's message. Transport and decoding problems use ``KubernetesClientError`` instead.
public struct KubernetesError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int
    /// `NotFound`, `AlreadyExists`, `Conflict`, `Gone`, `Invalid`, `Forbidden`, ...
    public var reason: String
    public var message: String

    public init(code: Int, reason: String, message: String) {
        self.code = code
        self.reason = reason
        self.message = message
    }

    public var isNotFound: Bool { code == 404 }
    public var isConflict: Bool { code == 409 && reason != "AlreadyExists" }
    public var isAlreadyExists: Bool { code == 409 && reason == "AlreadyExists" }
    /// The watch's resourceVersion is too old: list again.
    public var isGone: Bool { code == 410 }

    public var description: String { "\(code) \(reason): \(message)" }

    public static func notFound(_ type: ResourceType, _ name: String) -> KubernetesError {
        KubernetesError(code: 404, reason: "NotFound", message: "\(type) \"\(name)\" not found")
    }

    public static func alreadyExists(_ type: ResourceType, _ name: String) -> KubernetesError {
        KubernetesError(code: 409, reason: "AlreadyExists", message: "\(type) \"\(name)\" already exists")
    }

    public static func conflict(_ type: ResourceType, _ name: String) -> KubernetesError {
        KubernetesError(
            code: 409, reason: "Conflict",
            message:
                "Operation cannot be fulfilled on \(type) \"\(name)\": the object has been modified; "
                + "please apply your changes to the latest version and try again")
    }

    public static func gone(_ resourceVersion: String) -> KubernetesError {
        KubernetesError(code: 410, reason: "Expired", message: "too old resource version: \(resourceVersion)")
    }

    public static func invalid(_ message: String) -> KubernetesError {
        KubernetesError(code: 422, reason: "Invalid", message: message)
    }

    /// The `metav1.Status` body the API server sends with this error.
    public var status: JSONValue {
        .object([
            "apiVersion": .string("v1"), "kind": .string("Status"), "status": .string("Failure"),
            "message": .string(message), "reason": .string(reason), "code": .int(Int64(code)),
        ])
    }

    /// Reads a `metav1.Status` body; falls back to the HTTP code when the body is not one.
    public init(code: Int, status: JSONValue?) {
        self.init(
            code: status?["code"]?.integerValue.flatMap { Int(exactly: $0) } ?? code,
            reason: status?["reason"]?.stringValue ?? "Unknown",
            message: status?["message"]?.stringValue ?? "HTTP status \(code)")
    }
}

/// A failure that is not an API answer: no connection, an unreadable body, a bad configuration.
public struct KubernetesClientError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
