/// Where a resource lives in the API: what the typed clients need to build paths.
public struct ResourceType: Sendable, Hashable, CustomStringConvertible {
    /// Empty for the core group.
    public var group: String
    public var version: String
    public var kind: String
    /// Lower-case plural, as in the URL path.
    public var plural: String
    public var namespaced: Bool
    /// Whether `/status` is a separate subresource (then a main-resource update keeps the stored status).
    public var hasStatusSubresource: Bool

    public init(
        group: String, version: String, kind: String, plural: String, namespaced: Bool,
        hasStatusSubresource: Bool
    ) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced
        self.hasStatusSubresource = hasStatusSubresource
    }

    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    public var description: String { group.isEmpty ? plural : "\(plural).\(group)" }

    /// The collection path: `/api/v1/namespaces/ns/secrets`, `/apis/g/v/leases`, ...
    public func collectionPath(namespace: String?) -> String {
        let root = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace { return "\(root)/namespaces/\(namespace)/\(plural)" }
        return "\(root)/\(plural)"
    }

    public func objectPath(namespace: String?, name: String) -> String {
        "\(collectionPath(namespace: namespaced ? namespace : nil))/\(name)"
    }
}

/// A hand-modelled Kubernetes object. Only the resources the controller uses conform; fields it does not use are
/// not modelled (and so are lost on update: use a status update or a merge patch for objects others write to).
public protocol KubernetesResource: Codable, Sendable {
    static var resourceType: ResourceType { get }
    var metadata: ObjectMeta { get set }
}

extension KubernetesResource {
    public var name: String { metadata.name }
    public var namespace: String? { metadata.namespace }
}

/// A `List` answer: the items and the collection's resourceVersion (where a watch resumes).
public struct ResourceList<R: KubernetesResource>: Sendable {
    public var items: [R]
    public var resourceVersion: String

    public init(items: [R], resourceVersion: String) {
        self.items = items
        self.resourceVersion = resourceVersion
    }
}

/// One watch notification.
public enum WatchEvent<R: KubernetesResource>: Sendable {
    case added(R)
    case modified(R)
    case deleted(R)
    /// Progress marker: nothing changed up to this resourceVersion.
    case bookmark(resourceVersion: String)

    public var object: R? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): object
        case .bookmark: nil
        }
    }
}
