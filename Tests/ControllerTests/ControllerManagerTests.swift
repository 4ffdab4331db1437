import AsyncHTTPClient
import Controller
import Foundation
import Kubernetes
import KubernetesTesting
import NIOCore
import NIOPosix
import Testing

/// The whole process over the in-memory API: endpoints, leader election, informers, workers.
@Suite(.timeLimit(.minutes(2))) struct ControllerManagerTests {
    func get(_ http: HTTPClient, _ port: Int, _ path: String) async throws -> (Int, String) {
        let response = try await http.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<1000 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("timed out waiting until \(what)")
    }

    @Test func reconcilesWatchedRuntimesAndServesHealthAndMetrics() async throws {
        let api = InMemoryAPI()
        _ = try await api.create(Fixture.cluster())
        let manager = ControllerManager(
            api: api,
            options: ControllerManager.Options(
                maxConcurrentReconciles: 2, leaderElectionNamespace: "garden", identity: "test-1",
                metricsBindAddress: "127.0.0.1:0", healthBindAddress: "127.0.0.1:0", installerImage: Fixture.image))
        let running = Task { try await manager.run() }
        let http = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        do {
            try await waitUntil("the endpoints listen") { await !manager.boundPorts.isEmpty }
            let port = try #require(await manager.boundPorts.first)
            try await waitUntil("ready") { try await get(http, port, "/readyz").0 == 200 }
            #expect(try await get(http, port, "/healthz") == (200, "ok"))
            #expect(try await get(http, port, "/nope").0 == 404)

            // A ContainerRuntime created while running is reconciled through the watch.
            _ = try await api.create(Fixture.runtime(pool: "p"))
            try await waitUntil("reconciled") {
                try await api.getIfExists(ContainerRuntime.self, namespace: Fixture.namespace, name: "gvisor-p")?
                    .status?.lastOperation?.state == "Succeeded"
            }
            let lease = try await api.get(Lease.self, namespace: "garden", name: "runtime-gvisor-leader-election")
            #expect(lease.spec.holderIdentity == "test-1")

            // A changed ManagedResource status updates the health condition through its watch.
            try await api.modify(
                ManagedResource.self, namespace: Fixture.namespace, name: "extension-runtime-gvisor-installation-p",
                status: true
            ) {
                $0.status = ManagedResource.Status(conditions: [
                    Condition(type: "ResourcesApplied", status: "True"),
                    Condition(type: "ResourcesHealthy", status: "True"),
                ])
                return true
            }
            try await waitUntil("healthy") {
                try await api.get(ContainerRuntime.self, namespace: Fixture.namespace, name: "gvisor-p").status?
                    .conditions?[type: "InstallationHealthy"]?.status == "True"
            }

            // A bad providerConfig fails and is retried with backoff: the error counter moves.
            var bad = Fixture.runtime(pool: "q")
            bad.spec.providerConfig = ["apiVersion": "x/v1", "kind": "GVisorConfiguration"]
            _ = try await api.create(bad)
            try await waitUntil("an error is counted") {
                try await get(http, port, "/metrics").1.contains(
                    "controller_runtime_reconcile_errors_total{controller=\"containerruntime\"} 0") == false
            }
            let metrics = try await get(http, port, "/metrics").1
            #expect(metrics.contains("leader_election_master_status{name=\"runtime-gvisor-leader-election\"} 1"))
            #expect(metrics.contains("controller_runtime_max_concurrent_reconciles{controller=\"containerruntime\"} 2"))
            #expect(
                !metrics.contains(
                    "controller_runtime_reconcile_total{controller=\"containerruntime\",result=\"success\"} 0"))
            #expect(metrics.contains("# TYPE controller_runtime_reconcile_time_seconds histogram"))
        } catch {
            running.cancel()
            try await http.shutdown()
            throw error
        }
        running.cancel()
        _ = try? await running.value
        try await http.shutdown()
        // Stopping gives the lease up.
        let lease = try await api.get(Lease.self, namespace: "garden", name: "runtime-gvisor-leader-election")
        #expect(lease.spec.holderIdentity == nil)
    }
}
