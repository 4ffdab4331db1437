/// core/v1 Event: what `kubectl describe` shows under the object.
public struct Event: KubernetesResource, Hashable {
    public static let resourceType = ResourceType(
        group: "", version: "v1", kind: "Event", plural: "events", namespaced: true, hasStatusSubresource: false)

    public var apiVersion: String = Self.resourceType.apiVersion
    public var kind: String = Self.resourceType.kind
    public var metadata: ObjectMeta
    public var involvedObject: ObjectReference
    public var reason: String
    public var message: String
    /// `Normal` or `Warning`.
    public var type: String
    public var source: Source?
    public var count: Int?
    public var firstTimestamp: String?
    public var lastTimestamp: String?
    public var reportingComponent: String?
    public var reportingInstance: String?

    public init(
        metadata: ObjectMeta, involvedObject: ObjectReference, reason: String, message: String, type: String,
        component: String, timestamp: String
    ) {
        self.metadata = metadata
        self.involvedObject = involvedObject
        self.reason = reason
        self.message = message
        self.type = type
        self.source = Source(component: component)
        self.count = 1
        self.firstTimestamp = timestamp
        self.lastTimestamp = timestamp
        self.reportingComponent = component
        self.reportingInstance = ""
    }

    public struct Source: Codable, Sendable, Hashable {
        public var component: String?

        public init(component: String?) {
            self.component = component
        }
    }
}

public struct ObjectReference: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var name: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?

    public init(
        apiVersion: String?, kind: String?, name: String?, namespace: String?, uid: String?,
        resourceVersion: String?
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
    }
}
