import Kubernetes

/// ``KubernetesAPI`` over an ``ObjectStore`` in this process: the actuator's tests and the benchmark use it, and
/// with the same store served over HTTP the client tests see the same semantics.
public struct InMemoryAPI: KubernetesAPI {
    public let store: ObjectStore

    public init(store: ObjectStore = ObjectStore()) {
        self.store = store
    }

    public func get<R: KubernetesResource>(_ type: R.Type, namespace: String?, name: String) async throws -> R {
        try await store.get(R.resourceType, namespace: namespace, name: name).decode(as: R.self)
    }

    public func list<R: KubernetesResource>(
        _ type: R.Type, namespace: String?, labelSelector: [String: String]
    ) async throws -> ResourceList<R> {
        let result = await store.list(R.resourceType, namespace: namespace, labelSelector: labelSelector)
        return ResourceList(
            items: try result.items.map { try $0.decode(as: R.self) }, resourceVersion: result.resourceVersion)
    }

    public func create<R: KubernetesResource>(_ object: R) async throws -> R {
        try await store.create(R.resourceType, namespace: object.namespace, object: JSONValue(encoding: object))
            .decode(as: R.self)
    }

    public func update<R: KubernetesResource>(_ object: R) async throws -> R {
        try await store.update(R.resourceType, namespace: object.namespace, object: JSONValue(encoding: object))
            .decode(as: R.self)
    }

    public func updateStatus<R: KubernetesResource>(_ object: R) async throws -> R {
        try await store.update(
            R.resourceType, namespace: object.namespace, object: JSONValue(encoding: object), status: true
        ).decode(as: R.self)
    }

    public func patch<R: KubernetesResource>(
        _ type: R.Type, namespace: String?, name: String, mergePatch: JSONValue
    ) async throws -> R {
        try await store.patch(R.resourceType, namespace: namespace, name: name, mergePatch: mergePatch)
            .decode(as: R.self)
    }

    public func patchStatus<R: KubernetesResource>(
        _ type: R.Type, namespace: String?, name: String, mergePatch: JSONValue
    ) async throws -> R {
        try await store.patch(R.resourceType, namespace: namespace, name: name, mergePatch: mergePatch, status: true)
            .decode(as: R.self)
    }

    public func delete<R: KubernetesResource>(_ type: R.Type, namespace: String?, name: String) async throws {
        try await store.delete(R.resourceType, namespace: namespace, name: name)
    }

    public func watch<R: KubernetesResource>(
        _ type: R.Type, namespace: String?, labelSelector: [String: String], resourceVersion: String
    ) -> AsyncThrowingStream<WatchEvent<R>, any Error> {
        let store = store
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let changes = await store.watch(
                        R.resourceType, namespace: namespace, labelSelector: labelSelector,
                        resourceVersion: resourceVersion)
                    for try await change in changes {
                        let object = try change.object.decode(as: R.self)
                        switch change.type {
                        case .added: continuation.yield(.added(object))
                        case .modified: continuation.yield(.modified(object))
                        case .deleted: continuation.yield(.deleted(object))
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
