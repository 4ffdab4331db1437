import Foundation
import Kubernetes

/// Kubernetes objects kept as JSON with the API server's bookkeeping: a global resourceVersion counter, uid,
/// generation (bumped when anything outside metadata and status changes), optimistic concurrency, the status
/// subresource, finalizers with deletionTimestamp, label selection, and a bounded change history from which
/// watches resume (older versions answer 410 Gone).
///
/// ``InMemoryAPI`` puts the typed ``KubernetesAPI`` on top of it; the client tests serve it over HTTP.
public actor ObjectStore {
    public enum EventType: String, Sendable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
    }

    public struct Change: Sendable {
        public var type: EventType
        public var object: JSONValue
        public var resourceVersion: Int
    }

    private struct Key: Hashable, Comparable {
        var namespace: String
        var name: String

        static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
        }
    }

    private struct Watcher {
        var resource: String
        var namespace: String?
        var labelSelector: [String: String]
        var continuation: AsyncThrowingStream<Change, any Error>.Continuation
    }

    private var objects: [String: [Key: JSONValue]] = [:]
    private var revision = 0
    private var history: [(resource: String, change: Change)] = []
    /// The oldest revision a watch may resume from; raised by ``compact()`` and by trimming history.
    private var compactedRevision = 0
    private let historyLimit: Int
    private var watchers: [UUID: Watcher] = [:]
    private let clock: @Sendable () -> Date

    public init(historyLimit: Int = 10_000, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.historyLimit = historyLimit
        self.clock = clock
    }

    public var resourceVersion: String { String(revision) }

    public func get(_ type: ResourceType, namespace: String?, name: String) throws(KubernetesError) -> JSONValue {
        guard let object = objects[type.description]?[key(type, namespace, name)] else {
            throw .notFound(type, name)
        }
        return object
    }

    /// Objects sorted by namespace and name, and the store's resourceVersion.
    public func list(
        _ type: ResourceType, namespace: String?, labelSelector: [String: String] = [:]
    ) -> (items: [JSONValue], resourceVersion: String) {
        let all = objects[type.description] ?? [:]
        let items = all.keys.sorted().compactMap { key -> JSONValue? in
            if let namespace, type.namespaced, key.namespace != namespace { return nil }
            let object = all[key]!
            return Self.matches(object, labelSelector) ? object : nil
        }
        return (items, String(revision))
    }

    public func create(_ type: ResourceType, namespace: String?, object: JSONValue) throws(KubernetesError)
        -> JSONValue
    {
        guard let name = object.value(at: "metadata.name")?.stringValue, !name.isEmpty else {
            throw .invalid("\(type): metadata.name: Required value")
        }
        let key = key(type, namespace ?? object.value(at: "metadata.namespace")?.stringValue, name)
        guard objects[type.description]?[key] == nil else { throw .alreadyExists(type, name) }
        var stored = object
        var metadata = stored["metadata"] ?? .object([:])
        if type.namespaced { metadata["namespace"] = .string(key.namespace) }
        metadata["uid"] = .string(UUID().uuidString.lowercased())
        metadata["creationTimestamp"] = .string(Timestamp.rfc3339(clock()))
        metadata["generation"] = .int(1)
        metadata["deletionTimestamp"] = nil
        stored["metadata"] = metadata
        if type.hasStatusSubresource { stored["status"] = nil }
        return commit(type, key, stored, .added)
    }

    /// Replaces an object (main resource, or only `status` when `status` is true).
    public func update(_ type: ResourceType, namespace: String?, object: JSONValue, status: Bool = false)
        throws(KubernetesError) -> JSONValue
    {
        guard let name = object.value(at: "metadata.name")?.stringValue else {
            throw .invalid("\(type): metadata.name: Required value")
        }
        let key = key(type, namespace ?? object.value(at: "metadata.namespace")?.stringValue, name)
        guard let existing = objects[type.description]?[key] else { throw .notFound(type, name) }
        if let version = object.value(at: "metadata.resourceVersion")?.stringValue, !version.isEmpty,
            version != existing.value(at: "metadata.resourceVersion")?.stringValue
        {
            throw .conflict(type, name)
        }
        var stored: JSONValue
        if status {
            stored = existing
            stored["status"] = object["status"]
        } else {
            stored = object
            if type.hasStatusSubresource { stored["status"] = existing["status"] }
            var metadata = stored["metadata"] ?? .object([:])
            for field in ["uid", "creationTimestamp", "deletionTimestamp", "generation", "namespace"] {
                metadata[field] = existing["metadata"]?[field]
            }
            if Self.specChanged(existing, stored) {
                let generation = existing.value(at: "metadata.generation")?.integerValue
                metadata["generation"] = .int((generation ?? 0) + 1)
            }
            stored["metadata"] = metadata
        }
        if stored == existing { return existing }
        if !status, existing.value(at: "metadata.deletionTimestamp") != nil, Self.finalizers(of: stored).isEmpty {
            return commit(type, key, stored, .deleted)
        }
        return commit(type, key, stored, .modified)
    }

    /// JSON merge patch of the main resource (or only of `status` when `status` is true, as the status
    /// subresource does: other parts of the patch are ignored); a `metadata.resourceVersion` in the patch is a
    /// precondition.
    public func patch(
        _ type: ResourceType, namespace: String?, name: String, mergePatch: JSONValue, status: Bool = false
    ) throws(KubernetesError) -> JSONValue {
        if status, !type.hasStatusSubresource { throw .notFound(type, name + "/status") }
        let existing = try get(type, namespace: namespace, name: name)
        var patched = existing.merging(patch: mergePatch)
        if mergePatch.value(at: "metadata.resourceVersion") == nil {
            patched["metadata"]?["resourceVersion"] = existing.value(at: "metadata.resourceVersion")
        }
        return try update(type, namespace: namespace, object: patched, status: status)
    }

    /// Removes the object, or sets `deletionTimestamp` while finalizers remain.
    @discardableResult
    public func delete(_ type: ResourceType, namespace: String?, name: String) throws(KubernetesError) -> JSONValue {
        let key = key(type, namespace, name)
        guard var existing = objects[type.description]?[key] else { throw .notFound(type, name) }
        if Self.finalizers(of: existing).isEmpty { return commit(type, key, existing, .deleted) }
        if existing.value(at: "metadata.deletionTimestamp") != nil { return existing }
        existing["metadata"]?["deletionTimestamp"] = .string(Timestamp.rfc3339(clock()))
        return commit(type, key, existing, .modified)
    }

    /// Changes after `resourceVersion` ("" or "0": the current objects as ADDED first), then live changes.
    public func watch(
        _ type: ResourceType, namespace: String?, labelSelector: [String: String] = [:], resourceVersion: String
    ) -> AsyncThrowingStream<Change, any Error> {
        let (stream, continuation) = AsyncThrowingStream<Change, any Error>.makeStream()
        let resource = type.description
        if resourceVersion.isEmpty || resourceVersion == "0" {
            for object in list(type, namespace: namespace, labelSelector: labelSelector).items {
                continuation.yield(Change(type: .added, object: object, resourceVersion: revision))
            }
        } else {
            guard let start = Int(resourceVersion) else {
                continuation.finish(
                    throwing: KubernetesError.invalid("resourceVersion \(resourceVersion) is not valid"))
                return stream
            }
            if start < compactedRevision {
                continuation.finish(throwing: KubernetesError.gone(resourceVersion))
                return stream
            }
            for entry in history where entry.resource == resource && entry.change.resourceVersion > start {
                if Self.selected(entry.change.object, type, namespace, labelSelector) {
                    continuation.yield(entry.change)
                }
            }
        }
        let id = UUID()
        watchers[id] = Watcher(
            resource: resource, namespace: namespace, labelSelector: labelSelector, continuation: continuation)
        continuation.onTermination = { _ in Task { await self.removeWatcher(id) } }
        return stream
    }

    /// Forgets the change history: every watch from an older resourceVersion now answers 410 Gone, and open
    /// watches end with it (what an etcd compaction does to clients).
    public func compact() {
        history.removeAll()
        compactedRevision = revision
        for (id, watcher) in watchers {
            watcher.continuation.finish(throwing: KubernetesError.gone(String(revision)))
            watchers[id] = nil
        }
    }

    /// Number of open watches (tests check that cancelled watches go away).
    public var watcherCount: Int { watchers.count }

    private func removeWatcher(_ id: UUID) {
        watchers[id] = nil
    }

    private func commit(_ type: ResourceType, _ key: Key, _ object: JSONValue, _ event: EventType) -> JSONValue {
        revision += 1
        var stored = object
        stored["metadata"]?["resourceVersion"] = .string(String(revision))
        if stored["apiVersion"] == nil { stored["apiVersion"] = .string(type.apiVersion) }
        if stored["kind"] == nil { stored["kind"] = .string(type.kind) }
        let resource = type.description
        if event == .deleted {
            objects[resource]?[key] = nil
        } else {
            objects[resource, default: [:]][key] = stored
        }
        let change = Change(type: event, object: stored, resourceVersion: revision)
        history.append((resource, change))
        if history.count > historyLimit {
            let dropped = history.count - historyLimit
            compactedRevision = history[dropped - 1].change.resourceVersion
            history.removeFirst(dropped)
        }
        for watcher in watchers.values
        where watcher.resource == resource
            && Self.selected(stored, type, watcher.namespace, watcher.labelSelector)
        {
            watcher.continuation.yield(change)
        }
        return stored
    }

    private func key(_ type: ResourceType, _ namespace: String?, _ name: String) -> Key {
        Key(namespace: type.namespaced ? (namespace ?? "") : "", name: name)
    }

    private static func selected(
        _ object: JSONValue, _ type: ResourceType, _ namespace: String?, _ selector: [String: String]
    ) -> Bool {
        if let namespace, type.namespaced, object.value(at: "metadata.namespace")?.stringValue != namespace {
            return false
        }
        return matches(object, selector)
    }

    private static func matches(_ object: JSONValue, _ selector: [String: String]) -> Bool {
        guard !selector.isEmpty else { return true }
        let labels = object.value(at: "metadata.labels")
        return selector.allSatisfy { labels?[$0.key]?.stringValue == $0.value }
    }

    private static func finalizers(of object: JSONValue) -> [JSONValue] {
        if case .array(let items) = object.value(at: "metadata.finalizers") { return items }
        return []
    }

    private static func specChanged(_ old: JSONValue, _ new: JSONValue) -> Bool {
        var old = old
        var new = new
        for field in ["metadata", "status", "apiVersion", "kind"] {
            old[field] = nil
            new[field] = nil
        }
        return old != new
    }
}
