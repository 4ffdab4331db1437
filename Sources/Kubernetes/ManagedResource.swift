/// `resources.gardener.cloud/v1alpha1` ManagedResource: gardener-resource-manager applies the objects in its
/// secrets to the shoot (class unset) and reports `ResourcesApplied`, `ResourcesHealthy`, `ResourcesProgressing`.
public struct ManagedResource: KubernetesResource, Hashable {
    public static let resourceType = ResourceType(
        group: "resources.gardener.cloud", version: "v1alpha1", kind: "ManagedResource",
        plural: "managedresources", namespaced: true, hasStatusSubresource: true)

    public var apiVersion: String = Self.resourceType.apiVersion
    public var kind: String = Self.resourceType.kind
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?

    public init(metadata: ObjectMeta, spec: Spec, status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public struct Spec: Codable, Sendable, Hashable {
        public var `class`: String?
        public var secretRefs: [SecretReference]
        public var injectLabels: [String: String]?
        /// Keep the shoot objects when the ManagedResource goes (control-plane migration).
        public var keepObjects: Bool?

        public init(
            class: String? = nil, secretRefs: [SecretReference], injectLabels: [String: String]? = nil,
            keepObjects: Bool? = nil
        ) {
            self.class = `class`
            self.secretRefs = secretRefs
            self.injectLabels = injectLabels
            self.keepObjects = keepObjects
        }
    }

    public struct SecretReference: Codable, Sendable, Hashable {
        public var name: String

        public init(name: String) {
            self.name = name
        }
    }

    public struct Status: Codable, Sendable, Hashable {
        public var conditions: [Condition]?
        public var observedGeneration: Int64?

        public init(conditions: [Condition]? = nil, observedGeneration: Int64? = nil) {
            self.conditions = conditions
            self.observedGeneration = observedGeneration
        }
    }
}
