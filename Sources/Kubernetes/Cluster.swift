/// `extensions.gardener.cloud/v1alpha1` Cluster (cluster-scoped, named like the shoot's seed namespace). Its
/// `spec.shoot` is a whole `core.gardener.cloud` Shoot; only the few fields the controller reads are typed.
public struct Cluster: KubernetesResource, Hashable {
    public static let resourceType = ResourceType(
        group: "extensions.gardener.cloud", version: "v1alpha1", kind: "Cluster", plural: "clusters",
        namespaced: false, hasStatusSubresource: false)

    public var apiVersion: String = Self.resourceType.apiVersion
    public var kind: String = Self.resourceType.kind
    public var metadata: ObjectMeta
    public var spec: Spec

    public init(metadata: ObjectMeta, spec: Spec) {
        self.metadata = metadata
        self.spec = spec
    }

    public struct Spec: Codable, Sendable, Hashable {
        public var shoot: JSONValue?
        public var seed: JSONValue?
        public var cloudProfile: JSONValue?

        public init(shoot: JSONValue? = nil) {
            self.shoot = shoot
        }
    }

    /// `confirmation.gardener.cloud/force-deletion` on a shoot being deleted (Gardener's
    /// `ShootNeedsForceDeletion`): stop waiting for shoot-side cleanup.
    public var shootNeedsForceDeletion: Bool {
        guard let shoot = spec.shoot, shoot.value(at: "metadata.deletionTimestamp") != nil else { return false }
        let value = shoot.value(at: "metadata.annotations")?["confirmation.gardener.cloud/force-deletion"]?.stringValue
        return value.map { ["true", "1", "t", "T", "TRUE", "True"].contains($0) } ?? false
    }

    /// The shoot's last operation failed (Gardener's `ShootNotFailedPredicate` skips such shoots).
    public var shootIsFailed: Bool {
        spec.shoot?.value(at: "status.lastOperation.state")?.stringValue == "Failed"
    }

    public var shootKubernetesVersion: String? {
        spec.shoot?.value(at: "spec.kubernetes.version")?.stringValue
    }
}
