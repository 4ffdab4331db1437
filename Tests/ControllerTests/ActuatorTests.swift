import Controller
import Foundation
import GVisorConfig
import Kubernetes
import Testing

/// The Go extension's controller cases (one pool, two pools, delete both, delete one of two) plus migrate,
/// restore, force delete, bad providerConfig and unknown flags, over the in-memory API.
@Suite(.timeLimit(.minutes(2))) struct ActuatorTests {
    let shared = "extension-runtime-gvisor"

    func pool(_ name: String) -> String { "extension-runtime-gvisor-installation-\(name)" }

    @Test func installsOnOnePool() async throws {
        let fixture = Fixture()
        try await fixture.create(Fixture.runtime(pool: "worker-gvisor"))
        #expect(try await fixture.reconcile("gvisor-worker-gvisor") == .reconciled)

        let sharedMR = try #require(try await fixture.managedResource(shared))
        #expect(sharedMR.metadata.labels?["origin"] == "extension-runtime-gvisor")
        #expect(sharedMR.spec.keepObjects == false)
        #expect(sharedMR.spec.injectLabels == ["shoot.gardener.cloud/no-cleanup": "true"])
        let poolMR = try #require(try await fixture.managedResource(pool("worker-gvisor")))
        #expect(poolMR.metadata.labels?["origin"] == "extension-runtime-gvisor")

        let secrets = try await fixture.secrets()
        #expect(secrets.count == 2)
        for secret in secrets {
            #expect(secret.immutable == true)
            #expect(secret.data?.count == 1)
            #expect(secret.metadata.labels?["resources.gardener.cloud/garbage-collectable-reference"] == "true")
            #expect(secret.metadata.labels?["origin"] == "extension-runtime-gvisor")
            #expect(secret.name.hasPrefix("managedresource-extension-runtime-gvisor-"))
        }

        let sharedYAML = try await fixture.manifests(shared)
        #expect(sharedYAML.contains("kind: \"RuntimeClass\""))
        #expect(sharedYAML.contains("handler: \"runsc\""))
        #expect(sharedYAML.contains("containerruntime.worker.gardener.cloud/gvisor: \"true\""))
        #expect(sharedYAML.contains("kind: \"ServiceAccount\""))

        let installYAML = try await fixture.manifests(pool("worker-gvisor"))
        #expect(installYAML.contains("name: \"containerd-gvisor-worker-gvisor\""))
        #expect(installYAML.contains("namespace: \"kube-system\""))
        #expect(installYAML.contains("worker.gardener.cloud/cri-name: \"containerd\""))
        #expect(installYAML.contains("worker.gardener.cloud/pool: \"worker-gvisor\""))
        #expect(installYAML.contains("worker.garden.sapcloud.io/group: \"worker-gvisor\""))
        #expect(installYAML.contains("- \"/gvisor-node\"\n"))  // the installation image's entrypoint path
        #expect(installYAML.contains("- \"run\"\n"))
        #expect(installYAML.contains("image: \"\(Fixture.image)\""))
        #expect(installYAML.contains("privileged: true"))
        #expect(installYAML.contains("mountPath: \"/var/host\""))
        #expect(installYAML.contains("checksum/configmap-containerd-gvisor: "))

        let runtime = try #require(try await fixture.runtime("gvisor-worker-gvisor"))
        #expect(runtime.metadata.finalizers == ["extensions.gardener.cloud/containerruntime"])
        #expect(runtime.metadata.annotations?["gardener.cloud/operation"] == nil)
        let last = try #require(runtime.status?.lastOperation)
        #expect(last.type == "Create")
        #expect(last.state == "Succeeded")
        #expect(last.progress == 100)
        #expect(last.description == "Successfully reconciled ContainerRuntime")
        #expect(runtime.status?.observedGeneration == 1)
        #expect(runtime.status?.lastError == nil)
        #expect(runtime.status?.conditions?[type: "ProviderConfigValid"]?.status == "True")
        #expect(runtime.status?.conditions?[type: "InstallationHealthy"]?.status == "Unknown")
        #expect(try await fixture.events().isEmpty)
    }

    @Test func installsOnTwoPoolsWithOwnSelectors() async throws {
        let fixture = Fixture()
        try await fixture.create(Fixture.runtime(pool: "worker-gvisor"), Fixture.runtime(pool: "worker-gvisor-2"))
        try await fixture.reconcile("gvisor-worker-gvisor")
        try await fixture.reconcile("gvisor-worker-gvisor-2")

        #expect(try await fixture.managedResource(shared) != nil)
        let first = try await fixture.manifests(pool("worker-gvisor"))
        let second = try await fixture.manifests(pool("worker-gvisor-2"))
        #expect(first.contains("runtime-gvisor.extensions.gardener.cloud/worker-pool: \"worker-gvisor\""))
        #expect(second.contains("runtime-gvisor.extensions.gardener.cloud/worker-pool: \"worker-gvisor-2\""))
        #expect(!first.contains("worker-gvisor-2"))
        #expect(try await fixture.secrets().count == 3)
        let list = try await fixture.api.list(ManagedResource.self, namespace: Fixture.namespace).items
        #expect(list.map(\.name) == [shared, pool("worker-gvisor"), pool("worker-gvisor-2")])
    }

    @Test func deletesBoth() async throws {
        let fixture = Fixture()
        try await fixture.create(Fixture.runtime(pool: "worker-gvisor"), Fixture.runtime(pool: "worker-gvisor-2"))
        try await fixture.reconcile("gvisor-worker-gvisor")
        try await fixture.reconcile("gvisor-worker-gvisor-2")

        for name in ["gvisor-worker-gvisor", "gvisor-worker-gvisor-2"] {
            try await fixture.api.delete(ContainerRuntime.self, namespace: Fixture.namespace, name: name)
            #expect(try await fixture.runtime(name)?.metadata.isDeleting == true)  // held by the finalizer
        }
        #expect(try await fixture.reconcile("gvisor-worker-gvisor") == .deleted)
        #expect(try await fixture.reconcile("gvisor-worker-gvisor-2") == .deleted)

        #expect(try await fixture.api.list(ManagedResource.self, namespace: Fixture.namespace).items.isEmpty)
        #expect(try await fixture.secrets().isEmpty)
        #expect(try await fixture.runtime("gvisor-worker-gvisor") == nil)
        #expect(try await fixture.runtime("gvisor-worker-gvisor-2") == nil)
    }

    @Test func deletingOneOfTwoKeepsTheRuntimeClass() async throws {
        let fixture = Fixture()
        try await fixture.create(Fixture.runtime(pool: "worker-gvisor"), Fixture.runtime(pool: "worker-gvisor-2"))
        try await fixture.reconcile("gvisor-worker-gvisor")
        try await fixture.reconcile("gvisor-worker-gvisor-2")

        try await fixture.api.delete(ContainerRuntime.self, namespace: Fixture.namespace, name: "gvisor-worker-gvisor")
        #expect(try await fixture.reconcile("gvisor-worker-gvisor") == .deleted)

        #expect(try await fixture.managedResource(pool("worker-gvisor")) == nil)
        #expect(try await fixture.managedResource(pool("worker-gvisor-2")) != nil)
        #expect(try await fixture.managedResource(shared) != nil)
        #expect(try await fixture.secrets().count == 2)
        #expect(try await fixture.runtime("gvisor-worker-gvisor") == nil)
    }

    @Test func anotherRuntimeTypeDoesNotKeepTheRuntimeClass() async throws {
        let fixture = Fixture()
        try await fixture.create(Fixture.runtime(pool: "a"), Fixture.runtime(pool: "a", type: "kata"))
        try await fixture.reconcile("gvisor-a")
        #expect(try await fixture.reconcile("kata-a") == .none)
        try await fixture.api.delete(ContainerRuntime.self, namespace: Fixture.namespace, name: "gvisor-a")
        try await fixture.reconcile("gvisor-a")
        #expect(try await fixture.managedResource(shared) == nil)
    }

    @Test func deleteWaitsForTheManagedResourceAndFailsAfterTheTimeout() async throws {
        let fixture = Fixture(deletionTimeout: .milliseconds(100))
        try await fixture.create(Fixture.runtime(pool: "p"))
        try await fixture.reconcile("gvisor-p")
        try await fixture.holdManagedResources()
        try await fixture.api.delete(ContainerRuntime.self, namespace: Fixture.namespace, name: "gvisor-p")

        await #expect(throws: ControllerError.self) { try await fixture.reconcile("gvisor-p") }
        let runtime = try #require(try await fixture.runtime("gvisor-p"))
        #expect(runtime.status?.lastOperation?.type == "Delete")
        #expect(runtime.status?.lastOperation?.state == "Error")
        #expect(runtime.status?.lastError?.description.contains("still exists after") == true)
        #expect(runtime.metadata.hasFinalizer("extensions.gardener.cloud/containerruntime"))

        // gardener-resource-manager finishes: the next pass completes.
        try await fixture.releaseManagedResources()
        #expect(try await fixture.reconcile("gvisor-p") == .deleted)
        #expect(try await fixture.runtime("gvisor-p") == nil)
    }

    @Test func forceDeleteDoesNotWait() async throws {
        let fixture = Fixture(deletionTimeout: .seconds(60))
        let shoot: JSONValue = [
            "metadata": [
                "deletionTimestamp": "2027-01-01T00:00:00Z",
                "annotations": ["confirmation.gardener.cloud/force-deletion": "true"],
            ]
        ]
        try await fixture.create(Fixture.runtime(pool: "p"), cluster: Fixture.cluster(shoot: shoot))
        try await fixture.reconcile("gvisor-p")
        try await fixture.holdManagedResources()
        try await fixture.api.delete(ContainerRuntime.self, namespace: Fixture.namespace, name: "gvisor-p")

        let start = ContinuousClock.now
        #expect(try await fixture.reconcile("gvisor-p") == .deleted)
        #expect(ContinuousClock.now - start < .seconds(30))
        #expect(try await fixture.runtime("gvisor-p") == nil)
        // The ManagedResources are marked for deletion; their secrets are gone.
        for name in [shared, pool("p")] {
            #expect(try await fixture.managedResource(name)?.metadata.isDeleting == true)
        }
        #expect(try await fixture.secrets().isEmpty)
    }

    @Test func migrateKeepsShootObjectsThenRestoreRecreates() async throws {
        let fixture = Fixture()
        try await fixture.create(Fixture.runtime(pool: "p"))
        try await fixture.reconcile("gvisor-p")
        try await fixture.holdManagedResources()
        try await fixture.annotate("gvisor-p", operation: "migrate")

        let migration = Task { try await fixture.reconcile("gvisor-p") }
        // Both ManagedResources must be marked keepObjects before they are deleted; the pool's goes first.
        var seen = false
        for _ in 0..<2000 where !seen {
            if let resource = try await fixture.managedResource(pool("p")), resource.metadata.isDeleting {
                #expect(resource.spec.keepObjects == true)
                seen = true
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(seen)
        try await fixture.releaseManagedResources()
        for _ in 0..<2000 {
            if let resource = try await fixture.managedResource(shared), resource.metadata.isDeleting {
                #expect(resource.spec.keepObjects == true)
                break
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        try await fixture.releaseManagedResources()
        #expect(try await migration.value == .migrated)

        let migrated = try #require(try await fixture.runtime("gvisor-p"))
        #expect(migrated.metadata.finalizers == nil)
        #expect(migrated.metadata.annotations?["gardener.cloud/operation"] == nil)
        #expect(migrated.status?.lastOperation?.type == "Migrate")
        #expect(migrated.status?.lastOperation?.state == "Succeeded")
        #expect(try await fixture.api.list(ManagedResource.self, namespace: Fixture.namespace).items.isEmpty)
        #expect(try await fixture.secrets().isEmpty)
        // A migrated runtime waits for restore.
        #expect(try await fixture.reconcile("gvisor-p") == .skipped)

        try await fixture.annotate("gvisor-p", operation: "restore")
        #expect(try await fixture.reconcile("gvisor-p") == .restored)
        let restored = try #require(try await fixture.runtime("gvisor-p"))
        #expect(restored.status?.lastOperation?.type == "Restore")
        #expect(restored.status?.lastOperation?.state == "Succeeded")
        #expect(restored.metadata.annotations?["gardener.cloud/operation"] == nil)
        #expect(restored.metadata.hasFinalizer("extensions.gardener.cloud/containerruntime"))
        #expect(try await fixture.managedResource(shared) != nil)
        #expect(try await fixture.managedResource(pool("p")) != nil)
    }

    @Test(arguments: [
        (
            ["apiVersion": "some.group.com/v1alpha1", "kind": "GVisorConfiguration"] as JSONValue,
            "apiVersion"
        ),
        (
            [
                "apiVersion": "gvisor.runtime.extensions.config.gardener.cloud/v1alpha1",
                "kind": "GVisorConfiguration", "configFlags": ["net-raw": true],
            ] as JSONValue, "configFlags.net-raw"
        ),
    ])
    /// Documents the Go extension's decoder refused too (wrong group, a boolean where a string belongs) fail the
    /// shoot in either mode.
    func badProviderConfigIsAConfigurationProblem(providerConfig: JSONValue, field: String) async throws {
        for strict in [false, true] {
            try await expectConfigurationProblem(providerConfig, field: field, strict: strict)
        }
    }

    /// With `--strict-provider-config`, what the compatibility policy lets through with a warning fails instead.
    @Test(arguments: [
        (
            [
                "apiVersion": "gvisor.runtime.extensions.config.gardener.cloud/v1alpha1",
                "kind": "GVisorConfiguration", "configFlags": ["panic-signal": "123"],
            ] as JSONValue, "configFlags.panic-signal"
        ),
        (
            [
                "apiVersion": "gvisor.runtime.extensions.config.gardener.cloud/v1alpha1",
                "kind": "GVisorConfiguration", "configflags": ["debug": "true"],
            ] as JSONValue, "configflags"
        ),
        (
            [
                "apiVersion": "gvisor.runtime.extensions.config.gardener.cloud/v1alpha1",
                "kind": "GVisorConfiguration", "configFlags": ["net-raw": "yes"],
            ] as JSONValue, "configFlags.net-raw"
        ),
    ])
    func strictModeRejectsWhatTheGoExtensionIgnored(providerConfig: JSONValue, field: String) async throws {
        try await expectConfigurationProblem(providerConfig, field: field, strict: true)
    }

    func expectConfigurationProblem(_ providerConfig: JSONValue, field: String, strict: Bool) async throws {
        let fixture = Fixture(strictProviderConfig: strict)
        try await fixture.create(Fixture.runtime(pool: "p", providerConfig: providerConfig))
        await #expect(throws: ControllerError.self) { try await fixture.reconcile("gvisor-p") }

        let runtime = try #require(try await fixture.runtime("gvisor-p"))
        let lastError = try #require(runtime.status?.lastError)
        #expect(lastError.codes == ["ERR_CONFIGURATION_PROBLEM"])
        #expect(lastError.description.contains(field), "\(lastError.description)")
        #expect(runtime.status?.lastOperation?.state == "Error")
        #expect(runtime.status?.lastOperation?.description.hasPrefix("Error reconciling ContainerRuntime") == true)
        #expect(runtime.status?.conditions?[type: "ProviderConfigValid"]?.status == "False")
        #expect(try await fixture.managedResource(pool("p")) == nil)
    }

    @Test func unknownFlagsAreReportedInStatusAndAsOneEvent() async throws {
        let fixture = Fixture()
        let config: JSONValue = [
            "apiVersion": "gvisor.runtime.extensions.config.gardener.cloud/v1alpha1", "kind": "GVisorConfiguration",
            "configFlags": ["net-raw": "true", "platform": "kvm"],
        ]
        try await fixture.create(Fixture.runtime(pool: "p", providerConfig: config))
        #expect(try await fixture.reconcile("gvisor-p") == .reconciled)

        let runtime = try #require(try await fixture.runtime("gvisor-p"))
        #expect(runtime.status?.lastOperation?.state == "Succeeded")
        let condition = try #require(runtime.status?.conditions?[type: "ProviderConfigValid"])
        #expect(condition.status == "False")
        #expect(condition.reason == "UnknownConfigFlagsIgnored")
        #expect(condition.message?.contains("configFlags.platform") == true)
        let events = try await fixture.events()
        #expect(events.count == 1)
        #expect(events.first?.type == "Warning")
        #expect(events.first?.reason == "UnknownConfigFlagsIgnored")
        #expect(events.first?.involvedObject.name == "gvisor-p")
        #expect(events.first?.message.contains("platform") == true)
        // The installer gets only the valid flag.
        let yaml = try await fixture.manifests(pool("p"))
        #expect(yaml.contains("net-raw"))
        #expect(!yaml.contains("platform"))

        // Reconciling again with the same findings does not repeat the event.
        try await fixture.annotate("gvisor-p", operation: "reconcile")
        #expect(try await fixture.reconcile("gvisor-p") == .reconciled)
        #expect(try await fixture.events().count == 1)
    }

    @Test func operationAnnotationGatesReconciles() async throws {
        let fixture = Fixture()
        try await fixture.create(Fixture.runtime(pool: "p"))
        #expect(try await fixture.reconcile("gvisor-p") == .reconciled)
        // A spec change without the annotation waits (the chart sets --ignore-operation-annotation=false).
        try await fixture.api.modify(ContainerRuntime.self, namespace: Fixture.namespace, name: "gvisor-p") {
            $0.spec.binaryPath = "/opt/bin"
            return true
        }
        #expect(try await fixture.reconcile("gvisor-p") == .none)
        #expect(try await fixture.manifests(pool("p")).contains("/var/bin/containerruntimes"))
        try await fixture.annotate("gvisor-p", operation: "reconcile")
        #expect(try await fixture.reconcile("gvisor-p") == .reconciled)
        #expect(try await fixture.manifests(pool("p")).contains("\"/opt/bin\""))
        let runtime = try #require(try await fixture.runtime("gvisor-p"))
        #expect(runtime.status?.lastOperation?.type == "Reconcile")
        #expect(runtime.status?.observedGeneration == 2)
        // The old secret is gone, the new one is referenced.
        #expect(try await fixture.secrets().count == 2)
    }

    @Test func ignoreOperationAnnotationReconcilesOnGenerationChange() async throws {
        let fixture = Fixture(ignoreOperationAnnotation: true)
        try await fixture.create(Fixture.runtime(pool: "p"))
        #expect(try await fixture.reconcile("gvisor-p") == .reconciled)
        #expect(try await fixture.reconcile("gvisor-p") == .none)
        try await fixture.api.modify(ContainerRuntime.self, namespace: Fixture.namespace, name: "gvisor-p") {
            $0.spec.binaryPath = "/opt/bin"
            return true
        }
        #expect(try await fixture.reconcile("gvisor-p") == .reconciled)
    }

    @Test func failedShootsAreSkipped() async throws {
        let fixture = Fixture()
        try await fixture.create(
            Fixture.runtime(pool: "p"),
            cluster: Fixture.cluster(shoot: ["status": ["lastOperation": ["state": "Failed"]]]))
        #expect(try await fixture.reconcile("gvisor-p") == .skipped)
        #expect(try await fixture.managedResource(shared) == nil)
    }

    @Test func testImageTagNeedsTheTestRepository() async throws {
        let config: JSONValue = [
            "apiVersion": "gvisor.runtime.extensions.config.gardener.cloud/v1alpha1", "kind": "GVisorConfiguration",
            "testImageTag": "v0.1.0",
        ]
        let without = Fixture()
        try await without.create(Fixture.runtime(pool: "p", providerConfig: config))
        try await without.reconcile("gvisor-p")
        #expect(try await without.manifests(pool("p")).contains("image: \"\(Fixture.image)\""))
        let with = Fixture(testRepository: "registry.example/test")
        try await with.create(Fixture.runtime(pool: "p", providerConfig: config))
        try await with.reconcile("gvisor-p")
        #expect(try await with.manifests(pool("p")).contains("image: \"registry.example/test:v0.1.0\""))
    }

    @Test func installationHealthFollowsTheManagedResource() async throws {
        let fixture = Fixture()
        try await fixture.create(Fixture.runtime(pool: "p"))
        try await fixture.reconcile("gvisor-p")
        try await fixture.api.modify(
            ManagedResource.self, namespace: Fixture.namespace, name: pool("p"), status: true
        ) {
            $0.status = ManagedResource.Status(conditions: [
                Condition(type: "ResourcesApplied", status: "True"),
                Condition(
                    type: "ResourcesHealthy", status: "False", reason: "DaemonSetUnhealthy",
                    message: "DaemonSet kube-system/containerd-gvisor-p is unhealthy: 1 of 3 pods not ready"),
            ])
            return true
        }
        #expect(try await fixture.reconcile("gvisor-p") == .healthUpdated)
        var condition = try #require(
            try await fixture.runtime("gvisor-p")?.status?.conditions?[type: "InstallationHealthy"])
        #expect(condition.status == "False")
        #expect(condition.message?.contains("1 of 3 pods not ready") == true)
        #expect(try await fixture.reconcile("gvisor-p") == .none)

        try await fixture.api.modify(
            ManagedResource.self, namespace: Fixture.namespace, name: pool("p"), status: true
        ) {
            $0.status = ManagedResource.Status(conditions: [
                Condition(type: "ResourcesApplied", status: "True"),
                Condition(type: "ResourcesHealthy", status: "True"),
                Condition(type: "ResourcesProgressing", status: "False"),
            ])
            return true
        }
        #expect(try await fixture.reconcile("gvisor-p") == .healthUpdated)
        condition = try #require(
            try await fixture.runtime("gvisor-p")?.status?.conditions?[type: "InstallationHealthy"])
        #expect(condition.status == "True")
        #expect(condition.reason == "InstallerReady")
    }
}
