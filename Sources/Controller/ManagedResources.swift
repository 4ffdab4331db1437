import Checksum
import Foundation
import Kubernetes

/// Gardener's ManagedResource conventions (`pkg/utils/managedresources`): an immutable secret named
/// `managedresource-<name>-<checksum>` holds the manifests, the ManagedResource points at it, and deleting removes
/// the secrets it references, then the ManagedResource.
public struct ManagedResources: Sendable {
    public let api: any KubernetesAPI
    /// How often ``waitUntilDeleted(namespace:name:timeout:)`` looks.
    public var pollInterval: Duration

    public init(api: any KubernetesAPI, pollInterval: Duration = .seconds(2)) {
        self.api = api
        self.pollInterval = pollInterval
    }

    /// `managedresource-<name>-<first 8 hex digits of the data's SHA-256>`.
    public static func secretName(managedResource: String, data: [String: [UInt8]]) -> String {
        var bytes: [UInt8] = []
        for key in data.keys.sorted() {
            bytes += Array(key.utf8) + [0] + data[key]! + [0]
        }
        let digest = SHA256.digest(bytes).prefix(4).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }
        return "managedresource-\(managedResource)-\(digest.joined())"
    }

    /// gardener-resource-manager's reference annotation key (`references.AnnotationKey`):
    /// `reference.resources.gardener.cloud/<kind>-<first 8 hex digits of SHA-256(name)>`. Its garbage collector
    /// deletes secrets labelled garbage-collectable that no such annotation names, so a ManagedResource without
    /// it would lose its own secret.
    public static func referenceAnnotationKey(kind: String, name: String) -> String {
        Names.referenceAnnotationPrefix + kind + "-" + String(SHA256.hex(name).prefix(8))
    }

    /// Writes the secret (immutable, so a new content means a new name) and points the ManagedResource at it;
    /// secrets it referenced before are deleted afterwards.
    public func deploy(
        namespace: String, name: String, manifests: String, labels: [String: String] = [:]
    ) async throws {
        let data = [Names.secretKey: Array(manifests.utf8)]
        let secretName = Self.secretName(managedResource: name, data: data)
        var secretLabels = [Names.garbageCollectableLabel: "true", Names.originLabel: Names.origin]
        secretLabels.merge(labels) { current, _ in current }
        let secret = Secret(
            metadata: ObjectMeta(name: secretName, namespace: namespace, labels: secretLabels),
            type: "Opaque", immutable: true, data: data)
        if try await api.getIfExists(Secret.self, namespace: namespace, name: secretName) == nil {
            do {
                _ = try await api.create(secret)
            } catch let error as KubernetesError where error.isAlreadyExists {
            }
        }
        var mrLabels = [Names.originLabel: Names.origin]
        mrLabels.merge(labels) { current, _ in current }
        let previous = try await api.getIfExists(ManagedResource.self, namespace: namespace, name: name)
        let desired = ManagedResource(
            metadata: ObjectMeta(
                name: name, namespace: namespace, labels: mrLabels,
                annotations: [Self.referenceAnnotationKey(kind: "secret", name: secretName): secretName]),
            spec: ManagedResource.Spec(
                secretRefs: [ManagedResource.SecretReference(name: secretName)],
                injectLabels: [Names.noCleanupLabel: "true"], keepObjects: false))
        try await api.createOrUpdate(desired, ownedAnnotationPrefixes: [Names.referenceAnnotationPrefix])
        for stale in previous?.spec.secretRefs ?? [] where stale.name != secretName {
            try await api.deleteIfExists(Secret.self, namespace: namespace, name: stale.name)
        }
    }

    /// Deletes the secrets the ManagedResource references, then the ManagedResource; absent ones are fine.
    public func delete(namespace: String, name: String) async throws {
        if let existing = try await api.getIfExists(ManagedResource.self, namespace: namespace, name: name) {
            for reference in existing.spec.secretRefs {
                try await api.deleteIfExists(Secret.self, namespace: namespace, name: reference.name)
            }
        }
        try await api.deleteIfExists(ManagedResource.self, namespace: namespace, name: name)
    }

    /// Sets `spec.keepObjects`, so that deleting leaves the shoot objects in place (migration).
    public func setKeepObjects(namespace: String, name: String, _ keep: Bool) async throws {
        try await api.modify(ManagedResource.self, namespace: namespace, name: name) { resource in
            guard resource.spec.keepObjects != keep else { return false }
            resource.spec.keepObjects = keep
            return true
        }
    }

    /// Polls until the ManagedResource is gone (gardener-resource-manager removes its finalizer once the shoot
    /// objects are deleted).
    public func waitUntilDeleted(namespace: String, name: String, timeout: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while try await api.getIfExists(ManagedResource.self, namespace: namespace, name: name) != nil {
            guard clock.now < deadline else {
                throw ControllerError(
                    "ManagedResource \(namespace)/\(name) still exists after \(timeout) (waiting for "
                        + "gardener-resource-manager to delete its objects from the shoot)")
            }
            try await Task.sleep(for: pollInterval)
        }
    }
}

/// A controller failure with a message for `status.lastError`, and Gardener error codes where one applies.
public struct ControllerError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var codes: [String]

    public init(_ message: String, codes: [String] = []) {
        self.message = message
        self.codes = codes
    }

    public var description: String { message }
}
