/// coordination.k8s.io/v1 Lease: the leader-election lock.
public struct Lease: KubernetesResource, Hashable {
    public static let resourceType = ResourceType(
        group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", namespaced: true,
        hasStatusSubresource: false)

    public var apiVersion: String = Self.resourceType.apiVersion
    public var kind: String = Self.resourceType.kind
    public var metadata: ObjectMeta
    public var spec: Spec

    public init(metadata: ObjectMeta, spec: Spec) {
        self.metadata = metadata
        self.spec = spec
    }

    public struct Spec: Codable, Sendable, Hashable {
        public var holderIdentity: String?
        public var leaseDurationSeconds: Int?
        /// RFC 3339 with microseconds (`MicroTime`).
        public var acquireTime: String?
        public var renewTime: String?
        public var leaseTransitions: Int?

        public init(
            holderIdentity: String? = nil, leaseDurationSeconds: Int? = nil, acquireTime: String? = nil,
            renewTime: String? = nil, leaseTransitions: Int? = nil
        ) {
            self.holderIdentity = holderIdentity
            self.leaseDurationSeconds = leaseDurationSeconds
            self.acquireTime = acquireTime
            self.renewTime = renewTime
            self.leaseTransitions = leaseTransitions
        }
    }
}
