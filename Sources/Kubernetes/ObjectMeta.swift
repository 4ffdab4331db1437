/// `metadata` of every Kubernetes object, limited to the fields this project reads or writes.
public struct ObjectMeta: Codable, Sendable, Hashable {
    public var name: String
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    public var creationTimestamp: String?
    public var deletionTimestamp: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var finalizers: [String]?
    public var ownerReferences: [OwnerReference]?

    public init(
        name: String, namespace: String? = nil, labels: [String: String]? = nil,
        annotations: [String: String]? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
    }

    public var isDeleting: Bool { deletionTimestamp != nil }

    public func hasFinalizer(_ finalizer: String) -> Bool { finalizers?.contains(finalizer) ?? false }

    /// Adds the finalizer once; returns whether it was missing.
    @discardableResult
    public mutating func addFinalizer(_ finalizer: String) -> Bool {
        guard !hasFinalizer(finalizer) else { return false }
        finalizers = (finalizers ?? []) + [finalizer]
        return true
    }

    /// Removes the finalizer; returns whether it was there.
    @discardableResult
    public mutating func removeFinalizer(_ finalizer: String) -> Bool {
        guard hasFinalizer(finalizer) else { return false }
        finalizers = finalizers?.filter { $0 != finalizer }
        if finalizers?.isEmpty == true { finalizers = nil }
        return true
    }
}

public struct OwnerReference: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool?

    public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
    }
}

/// A `metav1.Condition`-like entry, as Gardener's extension and ManagedResource statuses carry them.
public struct Condition: Codable, Sendable, Hashable {
    public var type: String
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastTransitionTime: String?
    public var lastUpdateTime: String?
    /// Gardener's error codes on a condition (`gardencorev1beta1.Condition.Codes`); kept so that rewriting the
    /// conditions does not drop codes others set.
    public var codes: [String]?

    public init(
        type: String, status: String, reason: String? = nil, message: String? = nil,
        lastTransitionTime: String? = nil, lastUpdateTime: String? = nil, codes: [String]? = nil
    ) {
        self.codes = codes
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
        self.lastUpdateTime = lastUpdateTime
    }
}

extension Array where Element == Condition {
    public subscript(type type: String) -> Condition? { first { $0.type == type } }

    /// Sets a condition; the transition time changes only when the status does (as Kubernetes expects).
    public mutating func set(_ condition: Condition, now: String) {
        var condition = condition
        if let index = firstIndex(where: { $0.type == condition.type }) {
            let old = self[index]
            condition.lastTransitionTime = old.status == condition.status ? old.lastTransitionTime : now
            if old.status == condition.status, old.reason == condition.reason, old.message == condition.message {
                condition.lastUpdateTime = old.lastUpdateTime
            } else {
                condition.lastUpdateTime = now
            }
            self[index] = condition
        } else {
            condition.lastTransitionTime = now
            condition.lastUpdateTime = now
            append(condition)
        }
    }
}
