import Foundation

/// core/v1 Secret. `data` values are base64 on the wire; ``bytes(_:)`` and ``init(name:namespace:bytes:)`` hide that.
public struct Secret: KubernetesResource, Hashable {
    public static let resourceType = ResourceType(
        group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true, hasStatusSubresource: false)

    public var apiVersion: String = Self.resourceType.apiVersion
    public var kind: String = Self.resourceType.kind
    public var metadata: ObjectMeta
    public var type: String?
    public var immutable: Bool?
    /// Base64-encoded values, as the API carries them.
    public var data: [String: String]?

    public init(metadata: ObjectMeta, type: String? = nil, immutable: Bool? = nil, data: [String: [UInt8]]) {
        self.metadata = metadata
        self.type = type
        self.immutable = immutable
        self.data = data.mapValues { Data($0).base64EncodedString() }
    }

    /// The decoded value of one key, nil when absent or not base64.
    public func bytes(_ key: String) -> [UInt8]? {
        guard let text = data?[key], let decoded = Data(base64Encoded: text) else { return nil }
        return Array(decoded)
    }
}
