import Controller
import Foundation
import Kubernetes
import KubernetesTesting
import Testing

/// An in-memory API with the objects Gardener would have created for a shoot namespace.
struct Fixture {
    static let namespace = "shoot--foo--bar"
    static let image = "registry.example/gvisor-node:v1"

    let api: InMemoryAPI
    let reconciler: Reconciler

    init(
        ignoreOperationAnnotation: Bool = false, deletionTimeout: Duration = .seconds(5),
        testRepository: String? = nil, strictProviderConfig: Bool = false
    ) {
        api = InMemoryAPI()
        let actuator = Actuator(
            api: api,
            options: Actuator.Options(
                installerImage: Self.image, testRepository: testRepository, deletionTimeout: deletionTimeout,
                pollInterval: .milliseconds(5), strictProviderConfig: strictProviderConfig))
        reconciler = Reconciler(
            api: api, actuator: actuator,
            options: Reconciler.Options(ignoreOperationAnnotation: ignoreOperationAnnotation),
            clock: { Date(timeIntervalSince1970: 1_800_000_000) })
    }

    static func runtime(pool: String, providerConfig: JSONValue? = nil, type: String = "gvisor") -> ContainerRuntime {
        ContainerRuntime(
            metadata: ObjectMeta(
                name: "\(type)-\(pool)", namespace: namespace, annotations: ["gardener.cloud/operation": "reconcile"]),
            spec: ContainerRuntime.Spec(
                type: type, providerConfig: providerConfig, binaryPath: "/var/bin/containerruntimes",
                workerPool: ContainerRuntime.WorkerPool(
                    name: pool,
                    selector: LabelSelector(matchLabels: [
                        "worker.gardener.cloud/pool": pool, "worker.garden.sapcloud.io/group": pool,
                    ]))))
    }

    static func cluster(shoot: JSONValue = ["spec": ["kubernetes": ["version": "1.33.0"]]]) -> Cluster {
        Cluster(metadata: ObjectMeta(name: namespace), spec: Cluster.Spec(shoot: shoot))
    }

    /// Creates the Cluster and the runtimes, as gardenlet does.
    func create(_ runtimes: ContainerRuntime..., cluster: Cluster = Fixture.cluster()) async throws {
        if try await api.getIfExists(Cluster.self, namespace: nil, name: cluster.name) == nil {
            _ = try await api.create(cluster)
        }
        for runtime in runtimes { _ = try await api.create(runtime) }
    }

    @discardableResult
    func reconcile(_ name: String) async throws -> Reconciler.Action {
        try await reconciler.reconcile(namespace: Self.namespace, name: name)
    }

    func runtime(_ name: String) async throws -> ContainerRuntime? {
        try await api.getIfExists(ContainerRuntime.self, namespace: Self.namespace, name: name)
    }

    func managedResource(_ name: String) async throws -> ManagedResource? {
        try await api.getIfExists(ManagedResource.self, namespace: Self.namespace, name: name)
    }

    func secrets() async throws -> [Secret] {
        try await api.list(Secret.self, namespace: Self.namespace).items
    }

    func events() async throws -> [Event] {
        try await api.list(Event.self, namespace: Self.namespace).items
    }

    /// The manifests a ManagedResource's secret holds.
    func manifests(_ managedResource: String) async throws -> String {
        let resource = try #require(try await self.managedResource(managedResource))
        let reference = try #require(resource.spec.secretRefs.first)
        let secret = try await api.get(Secret.self, namespace: Self.namespace, name: reference.name)
        return String(decoding: try #require(secret.bytes("config.yaml")), as: UTF8.self)
    }

    func annotate(_ name: String, operation: String) async throws {
        try await api.modify(ContainerRuntime.self, namespace: Self.namespace, name: name) {
            $0.metadata.annotations = ["gardener.cloud/operation": operation]
            return true
        }
    }

    /// Adds gardener-resource-manager's finalizer, so that deleting a ManagedResource waits for it.
    func holdManagedResources() async throws {
        for resource in try await api.list(ManagedResource.self, namespace: Self.namespace).items {
            try await api.modify(ManagedResource.self, namespace: Self.namespace, name: resource.name) {
                $0.metadata.addFinalizer("resources.gardener.cloud/gardener-resource-manager")
            }
        }
    }

    /// What gardener-resource-manager does once the shoot objects are gone.
    func releaseManagedResources() async throws {
        for resource in try await api.list(ManagedResource.self, namespace: Self.namespace).items {
            try await api.modify(ManagedResource.self, namespace: Self.namespace, name: resource.name) {
                $0.metadata.removeFinalizer("resources.gardener.cloud/gardener-resource-manager")
            }
        }
    }
}
