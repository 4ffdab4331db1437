import Foundation
import GVisorConfig
import GVisorConfigYAML
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
        /// `--strict-provider-config`: unknown fields and invalid flag values fail the shoot
        /// (`ERR_CONFIGURATION_PROBLEM`) instead of being left out with a warning. Off by default, because the Go
        /// extension accepted such configurations and an upgrade must not fail shoots that worked.
        public var strictProviderConfig: Bool
        /// The RuntimeClass's `overhead.podFixed`.
        public var runtimeClassOverhead: Rendering.Overhead?

        public init(
            installerImage: String, testRepository: String? = nil, deletionTimeout: Duration = .seconds(120),
            pollInterval: Duration = .seconds(2), strictProviderConfig: Bool = false,
            runtimeClassOverhead: Rendering.Overhead? = .default
        ) {
            self.installerImage = installerImage
            self.testRepository = testRepository
            self.deletionTimeout = deletionTimeout
            self.pollInterval = pollInterval
            self.strictProviderConfig = strictProviderConfig
            self.runtimeClassOverhead = runtimeClassOverhead
        }
    }

    /// What a successful reconcile learned about the providerConfig.
    public struct Outcome: Sendable, Hashable {
        /// `configFlags` entries that were left out: unknown flags and, unless strict, invalid values (reported in
        /// the status and as an Event, not fatal).
        public var ignoredFlags: [FlagFinding]
        /// Top-level fields the Go extension's non-strict decoder ignored and so are ignored here (unless strict).
        public var ignoredFields: [String] = []
        public var configuration: GVisorConfiguration

        /// One line per finding, for the condition and the Event.
        public var findings: [String] {
            ignoredFields.map { "\($0): unknown field, ignored" } + ignoredFlags.map(\.description)
        }
    }

    public let api: any KubernetesAPI
    public var options: Options
    private var managedResources: ManagedResources

    public init(api: any KubernetesAPI, options: Options) {
        self.api = api
        self.options = options
        self.managedResources = ManagedResources(api: api, pollInterval: options.pollInterval)
    }

    /// Decodes and validates `spec.providerConfig`.
    ///
    /// Compatibility policy: what the Go extension accepted still reconciles. Its decoder was non-strict (unknown
    /// top-level fields ignored) and it dropped unknown flags and values it did not like without a word
    /// (`pkg/charts/values.go`: `net-raw` other than "true"/"false", `debug`/`nvproxy` other than "true",
    /// `panic-signal` that is no integer); here these are left out and returned as findings. Documents the Go
    /// extension refused too (syntax, wrong types, wrong apiVersion/kind) are configuration problems
    /// (`ERR_CONFIGURATION_PROBLEM`, message naming the field). With `strict`, every finding is such a problem.
    public static func validate(_ runtime: ContainerRuntime, strict: Bool = false) throws(ControllerError) -> (
        flags: RunscConfigFlags, ignored: [FlagFinding], configuration: GVisorConfiguration
    ) {
        let result = try validateReportingFields(runtime, strict: strict)
        return (result.flags, result.ignored, result.configuration)
    }

    /// ``validate(_:strict:)`` plus the ignored top-level fields.
    public static func validateReportingFields(_ runtime: ContainerRuntime, strict: Bool = false)
        throws(ControllerError) -> (
            flags: RunscConfigFlags, ignored: [FlagFinding], ignoredFields: [String],
            configuration: GVisorConfiguration
        )
    {
        let raw: String?
        do {
            raw = try runtime.spec.providerConfig.map { value -> String in
                if case .null = value { return "" }
                return String(decoding: try value.jsonData(), as: UTF8.self)
            }
        } catch {
            throw ControllerError("could not encode providerConfig: \(error)", codes: [Names.errorConfigurationProblem])
        }
        var configuration: GVisorConfiguration
        var ignoredFields: [String] = []
        do {
            configuration = try GVisorConfiguration.fromProviderConfig(raw)
        } catch {
            guard !strict, case .unknownField = error.problem else {
                throw ControllerError(
                    "could not decode providerConfig: \(error)", codes: [Names.errorConfigurationProblem])
            }
            do {
                configuration = try GVisorConfiguration.fromProviderConfig(raw, unknownFields: .ignore)
            } catch {
                throw ControllerError(
                    "could not decode providerConfig: \(error)", codes: [Names.errorConfigurationProblem])
            }
            ignoredFields = Self.unknownTopLevelFields(raw ?? "")
        }
        let validation: FlagValidation
        do {
            validation = try configuration.validatedFlags(mode: .lenient)
        } catch {
            throw ControllerError("providerConfig: \(error)", codes: [Names.errorConfigurationProblem])
        }
        if strict, !validation.findings.isEmpty {
            throw ControllerError(
                "invalid providerConfig: \(FlagValidationError(findings: validation.findings))",
                codes: [Names.errorConfigurationProblem])
        }
        return (validation.flags, validation.findings, ignoredFields, configuration)
    }

    /// The top-level keys of a providerConfig (JSON, as the API server stores it) that the type does not know.
    static func unknownTopLevelFields(_ raw: String) -> [String] {
        guard let object = try? JSONValue(parsing: Data(raw.utf8)).objectValue else { return ["(unknown)"] }
        let known: Set<String> = ["apiVersion", "kind", "configFlags", "testImageTag"]
        return object.keys.filter { !known.contains($0) }.sorted()
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
        let (flags, ignored, ignoredFields, configuration) = try Self.validateReportingFields(
            runtime, strict: options.strictProviderConfig)
        try await managedResources.deploy(
            namespace: namespace, name: Names.sharedManagedResource,
            manifests: Manifest.yaml(Rendering.sharedObjects(overhead: options.runtimeClassOverhead)))
        let installation = Rendering.Installation(
            pool: runtime.spec.workerPool.name, binaryPath: runtime.spec.binaryPath,
            poolSelector: runtime.spec.workerPool.selector.matchLabels ?? [:],
            configuration: Rendering.installerConfiguration(flags), image: installerImage(for: configuration))
        try await managedResources.deploy(
            namespace: namespace, name: Names.installationManagedResource(pool: installation.pool),
            manifests: Manifest.yaml(Rendering.installationObjects(installation)),
            labels: [Names.containerRuntimeLabel: runtime.name])
        return Outcome(ignoredFlags: ignored, ignoredFields: ignoredFields, configuration: configuration)
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
