/// `extensions.gardener.cloud/v1alpha1` ContainerRuntime: one per worker pool and runtime type, in the shoot's
/// namespace of the seed.
public struct ContainerRuntime: KubernetesResource, Hashable {
    public static let resourceType = ResourceType(
        group: "extensions.gardener.cloud", version: "v1alpha1", kind: "ContainerRuntime",
        plural: "containerruntimes", namespaced: true, hasStatusSubresource: true)

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
        public var type: String
        /// `garden`, `seed` or `shoot`; nil means `shoot`.
        public var `class`: String?
        public var providerConfig: JSONValue?
        public var binaryPath: String
        public var workerPool: WorkerPool

        public init(
            type: String, class: String? = nil, providerConfig: JSONValue? = nil, binaryPath: String,
            workerPool: WorkerPool
        ) {
            self.type = type
            self.class = `class`
            self.providerConfig = providerConfig
            self.binaryPath = binaryPath
            self.workerPool = workerPool
        }
    }

    public struct WorkerPool: Codable, Sendable, Hashable {
        public var name: String
        public var selector: LabelSelector

        public init(name: String, selector: LabelSelector) {
            self.name = name
            self.selector = selector
        }
    }

    public struct Status: Codable, Sendable, Hashable {
        public var conditions: [Condition]?
        public var lastError: LastError?
        public var lastOperation: LastOperation?
        public var observedGeneration: Int64?
        public var providerStatus: JSONValue?

        public init() {}
    }
}

public struct LabelSelector: Codable, Sendable, Hashable {
    public var matchLabels: [String: String]?

    public init(matchLabels: [String: String]? = nil) {
        self.matchLabels = matchLabels
    }
}

/// Gardener's `LastOperation`.
public struct LastOperation: Codable, Sendable, Hashable {
    /// `Create`, `Reconcile`, `Delete`, `Migrate`, `Restore`.
    public var type: String
    /// `Processing`, `Succeeded`, `Error`, `Failed`, `Pending`, `Aborted`.
    public var state: String
    public var description: String
    public var progress: Int
    public var lastUpdateTime: String

    public init(type: String, state: String, description: String, progress: Int, lastUpdateTime: String) {
        self.type = type
        self.state = state
        self.description = description
        self.progress = progress
        self.lastUpdateTime = lastUpdateTime
    }
}

/// Gardener's `LastError`; `codes` such as `ERR_CONFIGURATION_PROBLEM` tell Gardener not to retry blindly.
public struct LastError: Codable, Sendable, Hashable {
    public var description: String
    public var taskID: String?
    public var codes: [String]?
    public var lastUpdateTime: String?

    public init(description: String, codes: [String]? = nil, lastUpdateTime: String? = nil) {
        self.description = description
        self.codes = codes
        self.lastUpdateTime = lastUpdateTime
    }
}
