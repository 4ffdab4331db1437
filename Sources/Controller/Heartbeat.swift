import Foundation
import Kubernetes

/// Gardener's extension heartbeat (`extensions/pkg/controller/heartbeat`): the leader keeps the Lease
/// `gardener-extension-heartbeat` in its namespace renewed, with `holderIdentity` the extension's name and
/// `leaseDurationSeconds` the renew interval, so that gardenlet can tell that the extension is alive
/// (the seed's `ExtensionsReady` condition reads it).
public struct Heartbeat: Sendable {
    public static let leaseName = "gardener-extension-heartbeat"

    public let api: any KubernetesAPI
    public let namespace: String
    public let extensionName: String
    public let renewInterval: Duration
    public var clock: @Sendable () -> Date

    public init(
        api: any KubernetesAPI, namespace: String, extensionName: String = Names.extensionName,
        renewInterval: Duration = .seconds(30), clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.api = api
        self.namespace = namespace
        self.extensionName = extensionName
        self.renewInterval = renewInterval
        self.clock = clock
    }

    /// Creates or renews the Lease once (`CreateOrGetAndMergePatch` of the whole spec, as upstream does).
    @discardableResult
    public func beat() async throws -> Lease {
        let seconds = Int(renewInterval.components.seconds)
        let spec = Lease.Spec(
            holderIdentity: extensionName, leaseDurationSeconds: seconds,
            renewTime: Timestamp.rfc3339Micro(clock()))
        if try await api.getIfExists(Lease.self, namespace: namespace, name: Self.leaseName) == nil {
            do {
                return try await api.create(
                    Lease(metadata: ObjectMeta(name: Self.leaseName, namespace: namespace), spec: spec))
            } catch let error as KubernetesError where error.isAlreadyExists {
            }
        }
        return try await api.patch(
            Lease.self, namespace: namespace, name: Self.leaseName,
            mergePatch: [
                "spec": [
                    "holderIdentity": .string(extensionName), "leaseDurationSeconds": .int(Int64(seconds)),
                    "renewTime": .string(spec.renewTime ?? ""),
                ]
            ])
    }

    /// Renews every interval until cancelled; a failed renewal is logged and retried at the next interval.
    public func run() async {
        while !Task.isCancelled {
            do {
                try await beat()
            } catch is CancellationError {
                return
            } catch {
                Log.error(
                    "heartbeat lease not renewed", ["lease": "\(namespace)/\(Self.leaseName)", "error": "\(error)"])
            }
            do { try await Task.sleep(for: renewInterval) } catch { return }
        }
    }
}
