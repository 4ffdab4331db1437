import Foundation
import Kubernetes
import KubernetesTesting
import Testing

extension ObjectStore {
    /// Compacts and deletes in one step, so that no watcher sees the deletion: the informer can only learn of
    /// it from its re-list.
    func compact(thenDelete type: ResourceType, namespace: String, name: String) throws {
        compact()
        try delete(type, namespace: namespace, name: name)
    }
}

/// Collects what an informer hands over.
actor Recorder {
    var notes: [String] = []
    func add(_ note: String) { notes.append(note) }

    func waitFor(_ note: String, timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !notes.contains(note) {
            guard ContinuousClock.now < deadline else {
                throw KubernetesClientError("timed out waiting for \(note); have \(notes)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

@Suite(.timeLimit(.minutes(2))) struct WatchTests {
    let namespace = ClientTests.namespace

    @Test func watchStreamsChangesInOrderWithBookmarks() async throws {
        try await ClientTests.withClient { _, client in
            _ = try await client.create(ClientTests.runtime("before"))
            let list = try await client.list(ContainerRuntime.self, namespace: namespace)
            var events = client.watch(
                ContainerRuntime.self, namespace: namespace, labelSelector: [:], resourceVersion: list.resourceVersion
            ).makeAsyncIterator()

            // The stand-in sends a bookmark first: the client reports it with the current version.
            guard case .bookmark(let version) = try await events.next() else {
                Issue.record("expected a bookmark first")
                return
            }
            #expect(version == list.resourceVersion)

            var runtime = try await client.create(ClientTests.runtime("a"))
            runtime.spec.binaryPath = "/x"
            _ = try await client.update(runtime)
            try await client.delete(ContainerRuntime.self, namespace: namespace, name: "a")

            guard case .added(let added) = try await events.next() else { Issue.record("expected ADDED"); return }
            #expect(added.name == "a")
            guard case .modified(let modified) = try await events.next() else {
                Issue.record("expected MODIFIED")
                return
            }
            #expect(modified.spec.binaryPath == "/x")
            #expect(Int(modified.metadata.resourceVersion!)! > Int(added.metadata.resourceVersion!)!)
            guard case .deleted(let deleted) = try await events.next() else { Issue.record("expected DELETED"); return }
            #expect(deleted.name == "a")
        }
    }

    @Test func watchResumesFromAResourceVersionAndFiltersByLabel() async throws {
        try await ClientTests.withClient { _, client in
            let start = try await client.list(ContainerRuntime.self, namespace: nil).resourceVersion
            _ = try await client.create(ClientTests.runtime("x"))
            _ = try await client.create(ClientTests.runtime("y", labels: ["pick": "me"]))
            // Changes after `start` are replayed; only the selected one.
            var events = client.watch(
                ContainerRuntime.self, namespace: nil, labelSelector: ["pick": "me"], resourceVersion: start
            ).makeAsyncIterator()
            var names: [String] = []
            while names.isEmpty, let event = try await events.next() {
                if let object = event.object { names.append(object.name) }
            }
            #expect(names == ["y"])
        }
    }

    @Test func tooOldResourceVersionIsGone() async throws {
        try await ClientTests.withClient { server, client in
            _ = try await client.create(ClientTests.runtime("first"))
            let old = try await client.list(ContainerRuntime.self, namespace: nil).resourceVersion
            #expect(old != "0")  // "0" means "any version" to the API server, never Gone
            _ = try await client.create(ClientTests.runtime("a"))
            await server.store.compact()
            do {
                for try await _ in client.watch(
                    ContainerRuntime.self, namespace: nil, labelSelector: [:], resourceVersion: old)
                {}
                Issue.record("expected 410 Gone")
            } catch let error as KubernetesError {
                #expect(error.isGone)
                #expect(error.code == 410)
            }
        }
    }

    @Test func openWatchEndsWithGoneOnCompaction() async throws {
        try await ClientTests.withClient { server, client in
            let version = try await client.list(ContainerRuntime.self, namespace: nil).resourceVersion
            let stream = client.watch(
                ContainerRuntime.self, namespace: nil, labelSelector: [:], resourceVersion: version)
            var iterator = stream.makeAsyncIterator()
            _ = try await iterator.next()  // the bookmark: the watch is open
            await server.store.compact()
            do {
                while try await iterator.next() != nil {}
                Issue.record("expected 410 Gone")
            } catch let error as KubernetesError {
                #expect(error.isGone)
            }
        }
    }

    @Test func informerRelistsAfterGoneAndReportsWhatVanished() async throws {
        try await ClientTests.withClient { server, client in
            _ = try await client.create(ClientTests.runtime("a"))
            _ = try await client.create(ClientTests.runtime("b"))
            let recorder = Recorder()
            let informer = Informer<ContainerRuntime>(api: client, retryDelay: .milliseconds(10))
            let task = Task {
                await informer.run { notification in
                    switch notification {
                    case .upserted(let object): await recorder.add("upsert \(object.name) \(object.spec.binaryPath)")
                    case .deleted(let object): await recorder.add("delete \(object.name)")
                    case .synced: await recorder.add("synced")
                    }
                }
            }
            try await recorder.waitFor("synced")
            #expect(
                await recorder.notes.prefix(2) == [
                    "upsert a /var/bin/containerruntimes", "upsert b /var/bin/containerruntimes",
                ])

            try await client.modify(ContainerRuntime.self, namespace: namespace, name: "a") {
                $0.spec.binaryPath = "/live"
                return true
            }
            try await recorder.waitFor("upsert a /live")

            // History gone and b deleted unseen: the re-list must report b as deleted.
            try await server.store.compact(thenDelete: ContainerRuntime.resourceType, namespace: namespace, name: "b")
            try await recorder.waitFor("delete b")
            _ = try await client.create(ClientTests.runtime("c"))
            try await recorder.waitFor("upsert c /var/bin/containerruntimes")
            #expect(await recorder.notes.filter { $0 == "synced" }.count == 1)
            let lists = await server.requests.filter {
                $0 == "GET /apis/extensions.gardener.cloud/v1alpha1/containerruntimes"
            }
            #expect(lists.count == 2)
            task.cancel()
            await task.value
        }
    }

    @Test func cancelledWatchesAreRemovedFromTheStore() async throws {
        let store = ObjectStore()
        let api = InMemoryAPI(store: store)
        let task = Task {
            for try await _ in api.watch(Secret.self, namespace: nil, labelSelector: [:], resourceVersion: "") {}
        }
        for _ in 0..<200 where await store.watcherCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(await store.watcherCount == 1)
        task.cancel()
        for _ in 0..<200 where await store.watcherCount == 1 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(await store.watcherCount == 0)
    }
}
