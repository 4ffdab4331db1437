import Foundation
import GVisorConfig
import Kubernetes

/// The gVisor ContainerRuntime actuator: what the Go extension's `Reconcile`, `Delete`, `ForceDelete`, `Migrate`
/// and `Restore` do, over any ``KubernetesAPI``.
public struct Actuator: Sendable {
    public struct Options: Sendable {
        /// The installer image (runs `gvisor-node run`).
        public var installerImage: String
        /// `--gvisor-installation-test-repository`: with a shoot's `testImageTag` the image becomes
        /// `<repository>:<tag>` (development only).
        public var testRepository: String?
        /// How long Delete and Migrate wait for a ManagedResource to go (the Go original: 2 minutes).
        public var deletionTimeout: Duration
        public var pollInterval: Duration

        public init(
            installerImage: String, testRepository: String? = nil, deletionTimeout: Duration = .seconds(120),
            pollInterval: Duration = .seconds(2)
        ) {
            self.installerImage = installerImage
            self.testRepository = testRepository
            self.deletionTimeout = deletionTimeout
            self.pollInterval = pollInterval
        }
    }

    /// What a successful reconcile learned about the providerConfig.
    public struct Outcome: Sendable, Hashable {
        /// Unknown flags that were left out (reported in the status and as an Event, not fatal).
        public var ignoredFlags: [FlagFinding]
        public var configuration: GVisorConfiguration
    }

    public let api: any KubernetesAPI
    public var options: Options
    private var managedResources: ManagedResources

    public init(api: any KubernetesAPI, options: Options) {
        self.api = api
        self.options = options
        self.managedResources = ManagedResources(api: api, pollInterval: options.pollInterval)
    }

    /// Decodes and validates `spec.providerConfig`. Decoding errors and invalid values of allowed flags are
    /// configuration problems (`ERR_CONFIGURATION_PROBLEM`, message naming the field); unknown flags are dropped
    /// and returned.
    public static func validate(_ runtime: ContainerRuntime) throws(ControllerError) -> (
        flags: RunscConfigFlags, ignored: [FlagFinding], configuration: GVisorConfiguration
    ) {
        let raw: String?
        do {
            raw = try runtime.spec.providerConfig.map { value -> String in
                if case .null = value { return "" }
                return String(decoding: try value.jsonData(), as: UTF8.self)
            }
        } catch {
            throw ControllerError("could not encode providerConfig: \(error)", codes: [Names.errorConfigurationProblem])
        }
        let configuration: GVisorConfiguration
        do {
            configuration = try GVisorConfiguration.fromProviderConfig(raw)
        } catch {
            throw ControllerError(
                "could not decode providerConfig: \(error)", codes: [Names.errorConfigurationProblem])
        }
        let validation: FlagValidation
        do {
            validation = try configuration.validatedFlags(mode: .lenient)
        } catch {
            throw ControllerError("providerConfig: \(error)", codes: [Names.errorConfigurationProblem])
        }
        let invalid = validation.findings.filter { $0.problem == .invalidValue }
        if !invalid.isEmpty {
            throw ControllerError(
                "invalid providerConfig: \(FlagValidationError(findings: invalid))",
                codes: [Names.errorConfigurationProblem])
        }
        return (validation.flags, validation.findings.filter { $0.problem == .unknownFlag }, configuration)
    }

    /// The image for a shoot: the test repository with the shoot's `testImageTag` when both are set.
    public func installerImage(for configuration: GVisorConfiguration) -> String {
        if let repository = options.testRepository, !repository.isEmpty, let tag = configuration.testImageTag,
            !tag.isEmpty
        {
            return "\(repository):\(tag)"
        }
        return options.installerImage
    }

    public func reconcile(_ runtime: ContainerRuntime, cluster: Cluster?) async throws -> Outcome {
        let namespace = try Self.namespace(of: runtime)
        let (flags, ignored, configuration) = try Self.validate(runtime)
        try await managedResources.deploy(
            namespace: namespace, name: Names.sharedManagedResource, manifests: Manifest.yaml(Rendering.sharedObjects())
        )
        let installation = Rendering.Installation(
            pool: runtime.spec.workerPool.name, binaryPath: runtime.spec.binaryPath,
            poolSelector: runtime.spec.workerPool.selector.matchLabels ?? [:],
            configuration: Rendering.installerConfiguration(flags), image: installerImage(for: configuration))
        try await managedResources.deploy(
            namespace: namespace, name: Names.installationManagedResource(pool: installation.pool),
            manifests: Manifest.yaml(Rendering.installationObjects(installation)),
            labels: [Names.containerRuntimeLabel: runtime.name])
        return Outcome(ignoredFlags: ignored, configuration: configuration)
    }

    /// Removes the pool's installer; the RuntimeClass goes only with the last gVisor ContainerRuntime of the shoot.
    public func delete(_ runtime: ContainerRuntime, cluster: Cluster?) async throws {
        try await delete(runtime, force: cluster?.shootNeedsForceDeletion ?? false)
    }

    /// Like ``delete(_:cluster:)`` without waiting for the shoot side (the shoot is going away regardless).
    public func forceDelete(_ runtime: ContainerRuntime, cluster: Cluster?) async throws {
        try await delete(runtime, force: true)
    }

    private func delete(_ runtime: ContainerRuntime, force: Bool) async throws {
        let namespace = try Self.namespace(of: runtime)
        let pool = Names.installationManagedResource(pool: runtime.spec.workerPool.name)
        try await managedResources.delete(namespace: namespace, name: pool)
        if !force {
            try await managedResources.waitUntilDeleted(
                namespace: namespace, name: pool, timeout: options.deletionTimeout)
        }
        let others = try await api.list(ContainerRuntime.self, namespace: namespace).items.filter {
            $0.name != runtime.name && $0.spec.type == Names.containerRuntimeType && !$0.metadata.isDeleting
        }
        guard others.isEmpty else { return }  // gVisor is still required in the cluster
        try await managedResources.delete(namespace: namespace, name: Names.sharedManagedResource)
        if !force {
            try await managedResources.waitUntilDeleted(
                namespace: namespace, name: Names.sharedManagedResource, timeout: options.deletionTimeout)
        }
    }

    /// Control-plane migration: the ManagedResources go but their shoot objects stay (`keepObjects`).
    public func migrate(_ runtime: ContainerRuntime, cluster: Cluster?) async throws {
        let namespace = try Self.namespace(of: runtime)
        for name in [
            Names.installationManagedResource(pool: runtime.spec.workerPool.name), Names.sharedManagedResource,
        ] {
            try await managedResources.setKeepObjects(namespace: namespace, name: name, true)
            try await managedResources.delete(namespace: namespace, name: name)
            try await managedResources.waitUntilDeleted(
                namespace: namespace, name: name, timeout: options.deletionTimeout)
        }
    }

    /// Restore after migration is a reconcile.
    public func restore(_ runtime: ContainerRuntime, cluster: Cluster?) async throws -> Outcome {
        try await reconcile(runtime, cluster: cluster)
    }

    private static func namespace(of runtime: ContainerRuntime) throws(ControllerError) -> String {
        guard let namespace = runtime.namespace, !namespace.isEmpty else {
            throw ControllerError("ContainerRuntime \(runtime.name): metadata.namespace is empty")
        }
        return namespace
    }
}
