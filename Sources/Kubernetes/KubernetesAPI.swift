/// The operations the controller needs, typed. ``KubernetesClient`` speaks HTTP to an API server;
/// `InMemoryAPI` (in KubernetesTesting, never shipped) keeps objects in this process for tests and benchmarks.
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
    /// JSON merge patch of the status subresource: fields the patch leaves out stay as they are, including those
    /// this project's types do not model (Gardener's `status.state`, `status.resources`). A
    /// `metadata.resourceVersion` in the patch is a precondition (409 when stale).
    func patchStatus<R: KubernetesResource>(
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

    /// Creates the object, or updates the stored one (keeping its resourceVersion) when it exists. Like
    /// controller-runtime's `CreateOrUpdate` with a mutate function that sets only what it owns, metadata is merged,
    /// not replaced: labels and annotations others set stay (the desired ones win on equal keys), and so do owner
    /// references when the desired object has none. Annotations of the stored object whose key starts with one of
    /// `ownedAnnotationPrefixes` and that the desired object lacks are removed (gardener-resource-manager's
    /// reference annotations are replaced as a set).
    @discardableResult
    public func createOrUpdate<R: KubernetesResource>(
        _ object: R, ownedAnnotationPrefixes: [String] = [], attempts: Int = 5
    ) async throws -> R {
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
                desired.metadata.labels = Self.merged(existing.metadata.labels, desired.metadata.labels, owned: [])
                desired.metadata.annotations = Self.merged(
                    existing.metadata.annotations, desired.metadata.annotations, owned: ownedAnnotationPrefixes)
                if desired.metadata.ownerReferences == nil {
                    desired.metadata.ownerReferences = existing.metadata.ownerReferences
                }
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

    /// The stored map with the desired entries on top, minus stored keys under an owned prefix that the desired
    /// map lacks; nil when empty.
    static func merged(_ stored: [String: String]?, _ desired: [String: String]?, owned: [String]) -> [String: String]?
    {
        var result = (stored ?? [:]).filter { key, _ in
            desired?[key] != nil || !owned.contains { key.hasPrefix($0) }
        }
        result.merge(desired ?? [:]) { _, new in new }
        return result.isEmpty ? nil : result
    }
}
