import Foundation

import OCI

/// Untyped JSON, for the parts of Kubernetes objects this project does not model (a shoot inside a `Cluster`,
/// `providerConfig`) and for the object store, which keeps objects the way the API server does: as JSON.
///
/// The project's one JSON value type (OCI's): integers stay exact `Int64`/`UInt64` (a `resourceVersion`-sized
/// counter or a 64-bit limit above 2^53 survives a round trip), only numbers with a fraction or exponent are `Double`.
public typealias JSONValue = OCI.JSONValue

extension JSONValue {
    /// Follows a dotted path of object keys (`metadata.name`).
    public func value(at path: String) -> JSONValue? {
        var current: JSONValue? = self
        for key in path.split(separator: ".") { current = current?[String(key)] }
        return current
    }

    /// The number as a `Double` (integers converted, possibly rounding above 2^53); nil for anything else.
    public var doubleValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .uint(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }
}

extension JSONValue {
    /// Any `Encodable` as a `JSONValue` (through JSON bytes: simple and exact).
    public init(encoding value: some Encodable) throws {
        self = try JSONValue(parsing: try JSONCoding.encoder.encode(value))
    }

    /// This value as a `Decodable` type.
    public func decode<T: Decodable>(as type: T.Type) throws -> T {
        try JSONCoding.decoder.decode(T.self, from: Data(serialized()))
    }

    /// Compact JSON with sorted keys: equal values give equal bytes.
    public func jsonData() throws -> Data { Data(serialized()) }

    /// RFC 7386 JSON merge patch: objects merge recursively, `null` removes, everything else replaces.
    public func merging(patch: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var members = objectValue ?? [:]
        for (key, value) in patchMembers {
            if value == .null {
                members[key] = nil
            } else {
                members[key] = (members[key] ?? .null).merging(patch: value)
            }
        }
        return .object(members)
    }
}

/// The encoder and decoder every part of this module uses: sorted keys, no escaped slashes.
public enum JSONCoding {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static var decoder: JSONDecoder { JSONDecoder() }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(Int64(value)) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}
