/// The operations the controller needs, typed. ``KubernetesClient`` speaks HTTP to an API server;
/// ``InMemoryAPI`` keeps objects in an ``ObjectStore`` in this process (tests, benchmarks).
public protocol KubernetesAPI: Sendable {
    func get<R: KubernetesResource>(_ type: R.Type, namespace: String?, name: String) async throws -> R
    func list<R: KubernetesResource>(
        _ type: R.Type, namespace: String?, labelSelector: [String: String]
    ) async throws -> ResourceList<R>
    func create<R: KubernetesResource>(_ object: R) async throws -> R
    /// Replaces the object; fails with 409 Conflict when `metadata.resourceVersion` is stale.
    func update<R: KubernetesResource>(_ object: R) async throws -> R
    /// Replaces only `status` (the status subresource); 409 on a stale resourceVersion.
    func updateStatus<R: KubernetesResource>(_ object: R) async throws -> R
    /// JSON merge patch (RFC 7386) of the main resource.
    func patch<R: KubernetesResource>(
        _ type: R.Type, namespace: String?, name: String, mergePatch: JSONValue
    ) async throws -> R
    /// Deletes, or marks for deletion while finalizers remain. 404 when absent.
    func delete<R: KubernetesResource>(_ type: R.Type, namespace: String?, name: String) async throws
    /// Changes after `resourceVersion`; ends with a ``KubernetesError`` 410 when that version is too old.
    func watch<R: KubernetesResource>(
        _ type: R.Type, namespace: String?, labelSelector: [String: String], resourceVersion: String
    ) -> AsyncThrowingStream<WatchEvent<R>, any Error>
}

extension KubernetesAPI {
    /// The object, or nil when it does not exist.
    public func getIfExists<R: KubernetesResource>(
        _ type: R.Type, namespace: String?, name: String
    ) async throws -> R? {
        do {
            return try await get(type, namespace: namespace, name: name)
        } catch let error as KubernetesError where error.isNotFound {
            return nil
        }
    }

    /// Deletes; an absent object is not an error.
    public func deleteIfExists<R: KubernetesResource>(_ type: R.Type, namespace: String?, name: String) async throws {
        do {
            try await delete(type, namespace: namespace, name: name)
        } catch let error as KubernetesError where error.isNotFound {
        }
    }

    public func list<R: KubernetesResource>(_ type: R.Type, namespace: String?) async throws -> ResourceList<R> {
        try await list(type, namespace: namespace, labelSelector: [:])
    }

    /// Optimistic concurrency: reads the object, applies `change`, writes it; on 409 reads again and retries.
    /// `change` returns false when nothing needs writing. Returns the stored object, nil when it does not exist.
    @discardableResult
    public func modify<R: KubernetesResource>(
        _ type: R.Type, namespace: String?, name: String, status: Bool = false, attempts: Int = 5,
        _ change: @Sendable (inout R) throws -> Bool
    ) async throws -> R? {
        var attempt = 0
        while true {
            attempt += 1
            guard var object = try await getIfExists(type, namespace: namespace, name: name) else { return nil }
            guard try change(&object) else { return object }
            do {
                return status ? try await updateStatus(object) : try await update(object)
            } catch let error as KubernetesError where error.isConflict && attempt < attempts {
                continue
            } catch let error as KubernetesError where error.isNotFound {
                return nil
            }
        }
    }

    /// Creates the object, or replaces the stored one's content (keeping its resourceVersion) when it exists.
    @discardableResult
    public func createOrUpdate<R: KubernetesResource>(_ object: R, attempts: Int = 5) async throws -> R {
        var attempt = 0
        while true {
            attempt += 1
            if var existing = try await getIfExists(R.self, namespace: object.namespace, name: object.name) {
                var desired = object
                desired.metadata.resourceVersion = existing.metadata.resourceVersion
                desired.metadata.uid = existing.metadata.uid
                desired.metadata.creationTimestamp = existing.metadata.creationTimestamp
                desired.metadata.generation = existing.metadata.generation
                desired.metadata.finalizers = existing.metadata.finalizers
                desired.metadata.deletionTimestamp = existing.metadata.deletionTimestamp
                var desiredJSON = try JSONValue(encoding: desired)
                var existingJSON = try JSONValue(encoding: existing)
                desiredJSON["status"] = nil
                existingJSON["status"] = nil
                if desiredJSON == existingJSON { return existing }
                existing = desired
                do {
                    return try await update(existing)
                } catch let error as KubernetesError where error.isConflict && attempt < attempts {
                    continue
                }
            } else {
                do {
                    return try await create(object)
                } catch let error as KubernetesError where error.isAlreadyExists && attempt < attempts {
                    continue
                }
            }
        }
    }
}
