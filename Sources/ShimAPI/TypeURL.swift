import SwiftProtobuf

/// Packing of `google.protobuf.Any` the way containerd's typeurl registry expects.
///
/// containerd names protobuf types by their bare full name (`containerd.events.TaskExit`), while swift-protobuf's
/// `Google_Protobuf_Any(message:)` adds a `type.googleapis.com/` prefix; so every Any we send is built here.
public enum TypeURL {
    /// The bare type URL of `type`, e.g. `containerd.events.TaskExit`.
    public static func of<M: Message>(_ type: M.Type) -> String {
        M.protoMessageName
    }

    /// An Any holding `message` under its bare type URL.
    public static func pack<M: Message>(_ message: M) throws -> Google_Protobuf_Any {
        var any = Google_Protobuf_Any()
        any.typeURL = of(M.self)
        any.value = try message.serializedBytes()
        return any
    }

    /// The message in `any`; accepts the bare URL and any `host/`-prefixed form of it, as containerd does.
    ///
    /// - Throws: ``TypeURLError`` when `any` holds another type, or a ``SwiftProtobuf`` decoding error.
    public static func unpack<M: Message>(_ any: Google_Protobuf_Any, as type: M.Type) throws -> M {
        let expected = of(M.self)
        let name = any.typeURL.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
        guard name == expected else {
            throw TypeURLError(expected: expected, found: any.typeURL)
        }
        return try M(serializedBytes: any.value)
    }
}

/// An Any held a different type than the one asked for.
public struct TypeURLError: Error, Hashable, Sendable, CustomStringConvertible {
    public var expected: String
    public var found: String

    public init(expected: String, found: String) {
        self.expected = expected
        self.found = found
    }

    public var description: String {
        "google.protobuf.Any: type_url is \"\(found)\", expected \"\(expected)\""
    }
}
