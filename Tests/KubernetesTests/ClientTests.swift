import Foundation
import Kubernetes
import Testing

/// The HTTP client against the in-process API stand-in (``FakeAPIServer``): what the controller relies on.
@Suite(.timeLimit(.minutes(2))) struct ClientTests {
    static let namespace = "shoot--foo--bar"

    static func runtime(_ name: String, labels: [String: String]? = nil) -> ContainerRuntime {
        ContainerRuntime(
            metadata: ObjectMeta(name: name, namespace: namespace, labels: labels),
            spec: ContainerRuntime.Spec(
                type: "gvisor", binaryPath: "/var/bin/containerruntimes",
                workerPool: ContainerRuntime.WorkerPool(
                    name: "p", selector: LabelSelector(matchLabels: ["worker.gardener.cloud/pool": "p"]))))
    }

    /// Runs `body` with a server and a client, and closes both.
    static func withClient(_ body: (FakeAPIServer, KubernetesClient) async throws -> Void) async throws {
        let server = try await FakeAPIServer()
        let client = try KubernetesClient(config: server.config, watchTimeoutSeconds: 30)
        do {
            try await body(server, client)
        } catch {
            try await client.shutdown()
            await server.close()
            throw error
        }
        try await client.shutdown()
        await server.close()
    }

    @Test func createGetListAndAlreadyExists() async throws {
        try await Self.withClient { _, client in
            let created = try await client.create(Self.runtime("a", labels: ["tier": "x"]))
            #expect(created.metadata.uid != nil)
            #expect(created.metadata.generation == 1)
            let version = try #require(created.metadata.resourceVersion)
            _ = try await client.create(Self.runtime("b"))
            let fetched = try await client.get(ContainerRuntime.self, namespace: Self.namespace, name: "a")
            #expect(fetched == created)
            #expect(fetched.spec.workerPool.selector.matchLabels == ["worker.gardener.cloud/pool": "p"])

            let all = try await client.list(ContainerRuntime.self, namespace: Self.namespace)
            #expect(all.items.map(\.name) == ["a", "b"])
            #expect(Int(all.resourceVersion)! > Int(version)!)
            let selected = try await client.list(ContainerRuntime.self, namespace: nil, labelSelector: ["tier": "x"])
            #expect(selected.items.map(\.name) == ["a"])

            await #expect(throws: KubernetesError.self) { _ = try await client.create(Self.runtime("a")) }
            do {
                _ = try await client.create(Self.runtime("a"))
            } catch let error as KubernetesError {
                #expect(error.isAlreadyExists)
                #expect(error.code == 409)
            }
            do {
                _ = try await client.get(ContainerRuntime.self, namespace: Self.namespace, name: "missing")
                Issue.record("expected 404")
            } catch let error as KubernetesError {
                #expect(error.isNotFound)
                #expect(error.message.contains("missing"))
            }
        }
    }

    @Test func staleResourceVersionConflictsAndModifyRetries() async throws {
        try await Self.withClient { server, client in
            let created = try await client.create(Self.runtime("a"))
            var first = created
            first.spec.binaryPath = "/one"
            let updated = try await client.update(first)
            #expect(updated.metadata.generation == 2)
            var stale = created
            stale.spec.binaryPath = "/two"
            do {
                _ = try await client.update(stale)
                Issue.record("expected 409")
            } catch let error as KubernetesError {
                #expect(error.isConflict)
            }
            // Two injected conflicts: modify reads again and wins on the third PUT.
            await server.injectConflicts(2)
            let result = try await client.modify(ContainerRuntime.self, namespace: Self.namespace, name: "a") {
                $0.spec.binaryPath = "/three"
                return true
            }
            #expect(result?.spec.binaryPath == "/three")
            let puts = await server.requests.filter { $0.hasPrefix("PUT") }
            #expect(puts.count == 5)
            // modify gives up after its attempts.
            await server.injectConflicts(10)
            await #expect(throws: KubernetesError.self) {
                try await client.modify(ContainerRuntime.self, namespace: Self.namespace, name: "a", attempts: 3) {
                    $0.spec.binaryPath = "/four"
                    return true
                }
            }
        }
    }

    @Test func statusSubresource() async throws {
        try await Self.withClient { _, client in
            var runtime = try await client.create(Self.runtime("a"))
            var status = ContainerRuntime.Status()
            status.observedGeneration = 1
            runtime.status = status
            // The main resource ignores status ...
            runtime = try await client.update(runtime)
            #expect(runtime.status == nil)
            #expect(runtime.metadata.generation == 1)
            // ... the status subresource stores only status.
            runtime.status = status
            runtime.spec.binaryPath = "/ignored"
            let afterStatus = try await client.updateStatus(runtime)
            #expect(afterStatus.status?.observedGeneration == 1)
            #expect(afterStatus.spec.binaryPath == "/var/bin/containerruntimes")
            #expect(afterStatus.metadata.generation == 1)
            // Secrets have no status subresource.
            let secret = try await client.create(
                Secret(metadata: ObjectMeta(name: "s", namespace: Self.namespace), data: ["k": [1, 2, 3]]))
            #expect(secret.bytes("k") == [1, 2, 3])
            await #expect(throws: KubernetesError.self) { _ = try await client.updateStatus(secret) }
        }
    }

    /// `PATCH .../status` with `application/merge-patch+json` (what controller-runtime's `Status().Patch` with
    /// `MergeFrom` sends): only `status` changes, fields the patch leaves out stay, null removes, and a
    /// `metadata.resourceVersion` in the patch is a precondition.
    @Test func statusMergePatch() async throws {
        try await Self.withClient { server, client in
            _ = try await client.create(Self.runtime("a"))
            _ = try await server.store.patch(
                ContainerRuntime.resourceType, namespace: Self.namespace, name: "a",
                mergePatch: ["status": ["state": ["opaque": true], "observedGeneration": 1]], status: true)
            let patched = try await client.patchStatus(
                ContainerRuntime.self, namespace: Self.namespace, name: "a",
                mergePatch: [
                    "spec": ["binaryPath": "/ignored"], "status": ["observedGeneration": 2, "lastError": .null],
                ])
            #expect(patched.status?.observedGeneration == 2)
            #expect(patched.spec.binaryPath == "/var/bin/containerruntimes")
            let stored = try await server.store.get(
                ContainerRuntime.resourceType, namespace: Self.namespace, name: "a")
            #expect(stored.value(at: "status.state") == ["opaque": true])
            await #expect(throws: KubernetesError.self) {
                _ = try await client.patchStatus(
                    ContainerRuntime.self, namespace: Self.namespace, name: "a",
                    mergePatch: ["metadata": ["resourceVersion": "1"], "status": ["observedGeneration": 3]])
            }
            await #expect(throws: KubernetesError.self) {
                _ = try await client.patchStatus(
                    Secret.self, namespace: Self.namespace, name: "none", mergePatch: ["status": [:]])
            }
        }
    }

    @Test func mergePatchDeleteAndFinalizers() async throws {
        try await Self.withClient { _, client in
            var runtime = Self.runtime("a")
            runtime.metadata.annotations = ["gardener.cloud/operation": "reconcile", "keep": "1"]
            runtime.metadata.finalizers = ["extensions.gardener.cloud/containerruntime"]
            _ = try await client.create(runtime)
            let patched = try await client.patch(
                ContainerRuntime.self, namespace: Self.namespace, name: "a",
                mergePatch: ["metadata": ["annotations": ["gardener.cloud/operation": .null]]])
            #expect(patched.metadata.annotations == ["keep": "1"])

            try await client.delete(ContainerRuntime.self, namespace: Self.namespace, name: "a")
            let deleting = try await client.get(ContainerRuntime.self, namespace: Self.namespace, name: "a")
            #expect(deleting.metadata.isDeleting)
            try await client.modify(ContainerRuntime.self, namespace: Self.namespace, name: "a") {
                $0.metadata.removeFinalizer("extensions.gardener.cloud/containerruntime")
            }
            #expect(try await client.getIfExists(ContainerRuntime.self, namespace: Self.namespace, name: "a") == nil)
            try await client.deleteIfExists(ContainerRuntime.self, namespace: Self.namespace, name: "a")
        }
    }

    @Test func clusterScopedAndCoreResources() async throws {
        try await Self.withClient { _, client in
            let cluster = Cluster(
                metadata: ObjectMeta(name: Self.namespace),
                spec: Cluster.Spec(shoot: ["spec": ["kubernetes": ["version": "1.33.0"]]]))
            _ = try await client.create(cluster)
            let fetched = try await client.get(Cluster.self, namespace: nil, name: Self.namespace)
            #expect(fetched.shootKubernetesVersion == "1.33.0")
            let event = Event(
                metadata: ObjectMeta(name: "e1", namespace: Self.namespace),
                involvedObject: ObjectReference(
                    apiVersion: "v1", kind: "Pod", name: "p", namespace: Self.namespace, uid: nil, resourceVersion: nil),
                reason: "Test", message: "hello", type: "Normal", component: "tests", timestamp: "2026-01-01T00:00:00Z")
            _ = try await client.create(event)
            #expect(try await client.list(Event.self, namespace: Self.namespace).items.first?.message == "hello")
        }
    }

    @Test func rejectsAWrongToken() async throws {
        let server = try await FakeAPIServer(token: "right")
        var config = server.config
        config.bearerToken = "wrong"
        let client = try KubernetesClient(config: config)
        do {
            _ = try await client.list(Secret.self, namespace: "x")
            Issue.record("expected 401")
        } catch let error as KubernetesError {
            #expect(error.code == 401)
        }
        try await client.shutdown()
        await server.close()
    }

    @Test func tokenFileIsReadPerRequest() async throws {
        let server = try await FakeAPIServer(token: "rotated")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)").path
        try "old".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        var config = KubeConfig(server: server.url)
        config.tokenFile = file
        let client = try KubernetesClient(config: config)
        await #expect(throws: KubernetesError.self) { _ = try await client.list(Secret.self, namespace: "x") }
        try "rotated\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try await client.list(Secret.self, namespace: "x").items.isEmpty)
        try await client.shutdown()
        await server.close()
    }
}
