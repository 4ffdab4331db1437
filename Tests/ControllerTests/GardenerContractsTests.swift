import Controller
import Foundation
import GVisorConfig
import Kubernetes
import KubernetesTesting
import Testing

/// The contracts with the rest of Gardener (gardener/gardener's extension library, gardener-resource-manager) and
/// with the Go extension a landscape migrates from, over the in-memory API stand-in. Each test names the upstream
/// code whose behaviour it checks.
@Suite(.timeLimit(.minutes(2))) struct GardenerContractsTests {
    let shared = "extension-runtime-gvisor"
    func pool(_ name: String) -> String { "extension-runtime-gvisor-installation-\(name)" }

    func referenceAnnotations(_ resource: ManagedResource?) -> [String: String] {
        (resource?.metadata.annotations ?? [:]).filter { $0.key.hasPrefix("reference.resources.gardener.cloud/") }
    }

    // MARK: gardener-resource-manager

    /// `references.AnnotationKey(kind, name)`: prefix + kind + "-" + the first 8 hex digits of SHA-256(name)
    /// (value computed independently with Python's hashlib).
    @Test func referenceAnnotationKeyIsGRMs() {
        #expect(
            ManagedResources.referenceAnnotationKey(
                kind: "secret", name: "managedresource-extension-runtime-gvisor-0123abcd")
                == "reference.resources.gardener.cloud/secret-c6e0826b")
    }

    /// `builder.ManagedResource.Reconcile` injects `references.InjectAnnotations`: every secretRef is named by a
    /// reference annotation (else GRM's garbage collector deletes the garbage-collectable secret), stale reference
    /// annotations go (`mergeAnnotations`), and labels and annotations others set stay (merge, not replace).
    @Test func managedResourcesReferenceTheirSecretsAndKeepForeignMetadata() async throws {
        let fixture = Fixture()
        try await fixture.create(Fixture.runtime(pool: "p"))
        try await fixture.reconcile("gvisor-p")
        for name in [shared, pool("p")] {
            let resource = try #require(try await fixture.managedResource(name))
            let secret = try #require(resource.spec.secretRefs.first?.name)
            #expect(
                referenceAnnotations(resource)
                    == [ManagedResources.referenceAnnotationKey(kind: "secret", name: secret): secret])
            #expect(try await fixture.secrets().contains { $0.name == secret })
        }

        // Someone else (an operator, another controller) adds metadata, and a stale reference annotation exists.
        try await fixture.api.modify(ManagedResource.self, namespace: Fixture.namespace, name: pool("p")) {
            $0.metadata.labels?["team.example/owner"] = "platform"
            $0.metadata.annotations?["audit.example/ticket"] = "OPS-1"
            $0.metadata.annotations?["reference.resources.gardener.cloud/secret-deadbeef"] = "gone"
            $0.metadata.ownerReferences = [
                OwnerReference(apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: "u-1")
            ]
            return true
        }
        try await fixture.api.modify(ContainerRuntime.self, namespace: Fixture.namespace, name: "gvisor-p") {
            $0.spec.binaryPath = "/opt/bin"
            $0.metadata.annotations = ["gardener.cloud/operation": "reconcile"]
            return true
        }
        #expect(try await fixture.reconcile("gvisor-p") == .reconciled)
        let resource = try #require(try await fixture.managedResource(pool("p")))
        let secret = try #require(resource.spec.secretRefs.first?.name)
        #expect(
            referenceAnnotations(resource)
                == [ManagedResources.referenceAnnotationKey(kind: "secret", name: secret): secret])
        #expect(resource.metadata.labels?["team.example/owner"] == "platform")
        #expect(resource.metadata.labels?["origin"] == "extension-runtime-gvisor")
        #expect(resource.metadata.annotations?["audit.example/ticket"] == "OPS-1")
        #expect(resource.metadata.ownerReferences?.first?.name == "owner")
        #expect(try await fixture.manifests(pool("p")).contains("\"/opt/bin\""))
    }

    /// Migration from the Go extension: the same ManagedResource names (`GVisorManagedResourceName`,
    /// `GVisorInstallationManagedResourceName-<pool>`) and object names (`containerd-gvisor-<pool>`), so GRM
    /// updates the existing objects; the DaemonSet's selector differs (the Go chart selects only
    /// `app.kubernetes.io/name`) and is immutable, so it carries GRM's `delete-on-invalid-update`
    /// (`resourcesv1alpha1.DeleteOnInvalidUpdate`), which makes GRM delete and recreate it instead of failing.
    @Test func goExtensionsNamesAndTheRecreateAnnotation() async throws {
        let fixture = Fixture()
        try await fixture.create(Fixture.runtime(pool: "worker-a"))
        try await fixture.reconcile("gvisor-worker-a")
        let names = try await fixture.api.list(ManagedResource.self, namespace: Fixture.namespace).items.map(\.name)
        #expect(names == ["extension-runtime-gvisor", "extension-runtime-gvisor-installation-worker-a"])
        let objects = try JSONValue(parsing: Data(try await yamlAsJSON(fixture.manifests(pool("worker-a"))).utf8))
        guard case .array(let documents) = objects else {
            Issue.record("no documents")
            return
        }
        let daemonSet = try #require(documents.first { $0["kind"] == "DaemonSet" })
        let configMap = try #require(documents.first { $0["kind"] == "ConfigMap" })
        #expect(daemonSet.value(at: "metadata.name") == "containerd-gvisor-worker-a")
        #expect(configMap.value(at: "metadata.name") == "containerd-gvisor-worker-a")
        #expect(
            daemonSet.value(at: "metadata.annotations")?["resources.gardener.cloud/delete-on-invalid-update"]
                == "true")
        // The pod template keeps the Go extension's labels, so selectors of both generations match the pods.
        let podLabels = daemonSet.value(at: "spec.template.metadata.labels")
        #expect(podLabels?["app.kubernetes.io/name"] == "containerd-gvisor")
        #expect(podLabels?["origin"] == "gardener-extension-runtime-gvisor")
        #expect(podLabels?["gardener.cloud/role"] == "container-runtime")
    }

    /// The objects of a ManagedResource secret as a JSON array (via Python's yaml, independent of this project's
    /// YAML writer).
    func yamlAsJSON(_ yaml: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d]))",
        ]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(yaml.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: Gardener's extension library (extensions/pkg/controller)

    /// `statusUpdater` writes with `client.Status().Patch(MergeFrom(...))`: `status.state`, `status.resources`,
    /// `providerStatus` and conditions others own (with their `codes`) survive every reconcile.
    @Test func statusIsPatchedNotReplaced() async throws {
        let fixture = Fixture()
        try await fixture.create(Fixture.runtime(pool: "p"))
        try await fixture.reconcile("gvisor-p")
        let foreign: JSONValue = [
            "status": [
                "state": ["kind": "opaque", "data": "restored by gardenlet"],
                "resources": [["name": "ref", "resourceRef": ["kind": "Secret", "name": "s", "apiVersion": "v1"]]],
                "providerStatus": ["note": "kept"],
            ]
        ]
        _ = try await fixture.api.store.patch(
            ContainerRuntime.resourceType, namespace: Fixture.namespace, name: "gvisor-p", mergePatch: foreign,
            status: true)
        // A condition someone else owns, with error codes.
        var stored = try await fixture.api.store.get(
            ContainerRuntime.resourceType, namespace: Fixture.namespace, name: "gvisor-p")
        guard case .array(var conditions) = stored.value(at: "status.conditions") ?? .null else {
            Issue.record("no conditions")
            return
        }
        conditions.append([
            "type": "HealthCheckOthers", "status": "False", "reason": "Broken", "message": "m",
            "codes": ["ERR_INFRA_DEPENDENCIES"], "lastTransitionTime": "2027-01-01T00:00:00Z",
        ])
        stored["status"]?["conditions"] = .array(conditions)
        _ = try await fixture.api.store.update(
            ContainerRuntime.resourceType, namespace: Fixture.namespace, object: stored, status: true)

        for operation in ["reconcile", "reconcile"] {
            try await fixture.annotate("gvisor-p", operation: operation)
            #expect(try await fixture.reconcile("gvisor-p") == .reconciled)
        }
        let after = try await fixture.api.store.get(
            ContainerRuntime.resourceType, namespace: Fixture.namespace, name: "gvisor-p")
        #expect(after.value(at: "status.state") == foreign.value(at: "status.state"))
        #expect(after.value(at: "status.resources") == foreign.value(at: "status.resources"))
        #expect(after.value(at: "status.providerStatus") == foreign.value(at: "status.providerStatus"))
        let runtime = try #require(try await fixture.runtime("gvisor-p"))
        let other = try #require(runtime.status?.conditions?[type: "HealthCheckOthers"])
        #expect(other.codes == ["ERR_INFRA_DEPENDENCIES"])
        #expect(other.reason == "Broken")
        #expect(runtime.status?.conditions?[type: "ProviderConfigValid"]?.status == "True")
        #expect(runtime.status?.lastOperation?.state == "Succeeded")
    }

    /// `statusUpdater.ErrorCustom` sets `observedGeneration` as well: gardenlet sees that the generation was
    /// processed (and failed), not that it was never looked at.
    @Test func observedGenerationIsSetWhenReconcileFails() async throws {
        let fixture = Fixture()
        let bad: JSONValue = ["apiVersion": "x/v1", "kind": "GVisorConfiguration"]
        try await fixture.create(Fixture.runtime(pool: "p", providerConfig: bad))
        await #expect(throws: ControllerError.self) { try await fixture.reconcile("gvisor-p") }
        var runtime = try #require(try await fixture.runtime("gvisor-p"))
        #expect(runtime.status?.observedGeneration == 1)
        #expect(runtime.status?.lastOperation?.state == "Error")

        try await fixture.api.modify(ContainerRuntime.self, namespace: Fixture.namespace, name: "gvisor-p") {
            $0.spec.binaryPath = "/opt/bin"
            return true
        }
        await #expect(throws: ControllerError.self) { try await fixture.reconcile("gvisor-p") }
        runtime = try #require(try await fixture.runtime("gvisor-p"))
        #expect(runtime.metadata.generation == 2)
        #expect(runtime.status?.observedGeneration == 2)
    }

    /// `containerruntime.reconciler.Reconcile` returns before choosing the operation when
    /// `extensionscontroller.IsFailed(cluster)`: delete and migrate are skipped too (the Go extension uses it).
    @Test func failedShootsAreSkippedForDeleteAndMigrate() async throws {
        let fixture = Fixture()
        try await fixture.create(Fixture.runtime(pool: "p"), Fixture.runtime(pool: "q"))
        try await fixture.reconcile("gvisor-p")
        try await fixture.reconcile("gvisor-q")
        try await fixture.api.modify(Cluster.self, namespace: nil, name: Fixture.namespace) {
            $0.spec.shoot = ["status": ["lastOperation": ["state": "Failed", "type": "Reconcile"]]]
            return true
        }
        try await fixture.api.delete(ContainerRuntime.self, namespace: Fixture.namespace, name: "gvisor-p")
        #expect(try await fixture.reconcile("gvisor-p") == .skipped)
        #expect(try await fixture.runtime("gvisor-p")?.metadata.hasFinalizer(Names.finalizer) == true)
        #expect(try await fixture.managedResource(pool("p")) != nil)

        try await fixture.annotate("gvisor-q", operation: "migrate")
        #expect(try await fixture.reconcile("gvisor-q") == .skipped)
        let q = try #require(try await fixture.runtime("gvisor-q"))
        #expect(q.status?.lastOperation?.type != "Migrate")
        #expect(try await fixture.managedResource(pool("q"))?.spec.keepObjects == false)
    }

    /// `OperationAnnotationWrapper`: `gardener.cloud/operation: wait-for-state` means gardenlet is still restoring
    /// the object's state; the reconciler returns without doing anything, whatever the object's state.
    @Test func waitForStateLeavesTheObjectAlone() async throws {
        let fixture = Fixture()
        try await fixture.create(Fixture.runtime(pool: "p"))
        try await fixture.annotate("gvisor-p", operation: "wait-for-state")
        #expect(try await fixture.reconcile("gvisor-p") == .skipped)
        var runtime = try #require(try await fixture.runtime("gvisor-p"))
        #expect(runtime.status == nil)
        #expect(runtime.metadata.finalizers == nil)
        #expect(try await fixture.managedResource(shared) == nil)

        // Also for an object being deleted: nothing happens until gardenlet replaces the annotation.
        try await fixture.annotate("gvisor-p", operation: "reconcile")
        try await fixture.reconcile("gvisor-p")
        try await fixture.annotate("gvisor-p", operation: "wait-for-state")
        try await fixture.api.delete(ContainerRuntime.self, namespace: Fixture.namespace, name: "gvisor-p")
        #expect(try await fixture.reconcile("gvisor-p") == .skipped)
        runtime = try #require(try await fixture.runtime("gvisor-p"))
        #expect(runtime.metadata.hasFinalizer(Names.finalizer))
        try await fixture.annotate("gvisor-p", operation: "reconcile")
        #expect(try await fixture.reconcile("gvisor-p") == .deleted)
    }

    // MARK: Configuration compatibility

    /// The Go extension (`pkg/charts/values.go`) decodes non-strictly and drops, without a word, flags it does not
    /// allow and values it does not like (`net-raw: "yes"`); it passes any integer `panic-signal` to runsc. Such
    /// configurations keep reconciling here: the offending entries are left out, named in the condition
    /// `ProviderConfigValid` (False) and in one Warning Event.
    @Test func whatTheGoExtensionAcceptedReconcilesWithWarnings() async throws {
        let fixture = Fixture()
        let config: JSONValue = [
            "apiVersion": "gvisor.runtime.extensions.config.gardener.cloud/v1alpha1", "kind": "GVisorConfiguration",
            "configFlags": ["net-raw": "yes", "panic-signal": "123", "debug": "true", "platform": "kvm"],
            "someFutureField": ["x": "y"],
        ]
        try await fixture.create(Fixture.runtime(pool: "p", providerConfig: config))
        #expect(try await fixture.reconcile("gvisor-p") == .reconciled)
        let runtime = try #require(try await fixture.runtime("gvisor-p"))
        #expect(runtime.status?.lastOperation?.state == "Succeeded")
        #expect(runtime.status?.lastError == nil)
        let condition = try #require(runtime.status?.conditions?[type: "ProviderConfigValid"])
        #expect(condition.status == "False")
        for finding in ["someFutureField", "configFlags.net-raw", "configFlags.panic-signal", "configFlags.platform"] {
            #expect(condition.message?.contains(finding) == true, "\(finding): \(condition.message ?? "")")
        }
        let events = try await fixture.events()
        #expect(events.count == 1)
        #expect(events.first?.type == "Warning")
        // Only the valid flag reaches the node.
        let yaml = try await fixture.manifests(pool("p"))
        #expect(yaml.contains("debug"))
        #expect(!yaml.contains("net-raw"))
        #expect(!yaml.contains("panic-signal"))
        #expect(!yaml.contains("platform"))
    }

    // MARK: Seed and shoot objects

    /// `heartbeat.reconciler`: Lease `gardener-extension-heartbeat`, holder = the extension's name,
    /// `leaseDurationSeconds` = the renew interval, `renewTime` now; created first, then renewed.
    @Test func heartbeatRenewsGardenersLease() async throws {
        let api = InMemoryAPI()
        let now = LockedDate(Date(timeIntervalSince1970: 1_800_000_000))
        let heartbeat = Heartbeat(
            api: api, namespace: "extension-runtime-gvisor-abc", renewInterval: .seconds(30), clock: { now.value })
        let first = try await heartbeat.beat()
        #expect(first.name == "gardener-extension-heartbeat")
        #expect(first.spec.holderIdentity == "runtime-gvisor")
        #expect(first.spec.leaseDurationSeconds == 30)
        #expect(first.spec.renewTime == "2027-01-15T08:00:00.000000Z")
        now.value = Date(timeIntervalSince1970: 1_800_000_030)
        let second = try await heartbeat.beat()
        #expect(second.spec.renewTime == "2027-01-15T08:00:30.000000Z")
        #expect(second.metadata.uid == first.metadata.uid)
    }

    /// The RuntimeClass reserves the sandbox's own resources (`overhead.podFixed`), configurable; the installer's
    /// readiness is `gvisor-node doctor` for its node.
    @Test func runtimeClassOverheadAndInstallerReadiness() throws {
        let shared = Manifest.yaml(Rendering.sharedObjects())
        #expect(shared.contains("podFixed"))
        #expect(shared.contains("memory: \"64Mi\""))
        let custom = Manifest.yaml(Rendering.sharedObjects(overhead: Rendering.Overhead(memory: "200Mi", cpu: "100m")))
        #expect(custom.contains("memory: \"200Mi\""))
        #expect(custom.contains("cpu: \"100m\""))
        #expect(!Manifest.yaml(Rendering.sharedObjects(overhead: nil)).contains("overhead"))

        let installation = Rendering.Installation(
            pool: "p", binaryPath: "/opt/bin", poolSelector: [:], configuration: GVisorConfiguration(), image: "i")
        let text = Manifest.yaml(Rendering.installationObjects(installation))
        #expect(text.contains("readinessProbe"))
        let probe = try #require(text.range(of: "readinessProbe"))
        let after = text[probe.upperBound...]
        #expect(after.contains("- \"doctor\""))
        #expect(after.contains("- \"/opt/bin\""))
        #expect(after.contains("- \"/etc/gvisor-node/gvisor-configuration.yaml\""))
    }
}

/// A date the test moves forward while a ``Heartbeat`` reads it.
final class LockedDate: @unchecked Sendable {
    private let lock = NSLock()
    private var date: Date
    init(_ date: Date) { self.date = date }
    var value: Date {
        get { lock.withLock { date } }
        set { lock.withLock { date = newValue } }
    }
}
