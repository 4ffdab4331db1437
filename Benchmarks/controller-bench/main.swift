// `make bench` (report, not a gate): reconcile 500 gVisor ContainerRuntimes spread over 100 shoot namespaces
// through the real Reconciler and Actuator over the in-memory API, with 5 workers as in production.
// Goals from issue 8: wall time ≤ 2 s, peak memory ≤ 30 MB.

import Controller
import Foundation
import Kubernetes

func peakResidentKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? -1
    }
    return -1
}

let namespaces = 100
let perNamespace = 5
let workers = 5
// The stand-in API server keeps the last 1,000 changes for watches (like a bounded watch cache); the default
// 10,000 full objects would make the store, not the controller, dominate the memory figure.
let api = InMemoryAPI(store: ObjectStore(historyLimit: 1_000))
let baseline = peakResidentKiB()

for n in 0..<namespaces {
    let namespace = "shoot--bench--\(n)"
    _ = try await api.create(
        Cluster(
            metadata: ObjectMeta(name: namespace),
            spec: Cluster.Spec(shoot: ["spec": ["kubernetes": ["version": "1.33.0"]]])))
    for p in 0..<perNamespace {
        let pool = "pool-\(p)"
        let flags: JSONValue = p % 2 == 0 ? ["net-raw": "true", "debug": "true"] : ["panic-signal": "12"]
        _ = try await api.create(
            ContainerRuntime(
                metadata: ObjectMeta(
                    name: "gvisor-\(pool)", namespace: namespace, annotations: ["gardener.cloud/operation": "reconcile"]
                ),
                spec: ContainerRuntime.Spec(
                    type: "gvisor",
                    providerConfig: [
                        "apiVersion": "gvisor.runtime.extensions.config.gardener.cloud/v1alpha1",
                        "kind": "GVisorConfiguration", "configFlags": flags,
                    ],
                    binaryPath: "/var/bin/containerruntimes",
                    workerPool: ContainerRuntime.WorkerPool(
                        name: pool, selector: LabelSelector(matchLabels: ["worker.gardener.cloud/pool": pool])))))
    }
}

let reconciler = Reconciler(
    api: api, actuator: Actuator(api: api, options: Actuator.Options(installerImage: "gvisor-node:bench")))
let queue = WorkQueue()
for n in 0..<namespaces {
    for p in 0..<perNamespace { await queue.add("shoot--bench--\(n)/gvisor-pool-\(p)") }
}
await queue.shutdown()  // hands out what is queued, then nil
let total = namespaces * perNamespace
let start = ContinuousClock.now
let failures = await withTaskGroup(of: Int.self) { group in
    for _ in 0..<workers {
        group.addTask {
            var failed = 0
            while let key = await queue.next() {
                let parts = key.split(separator: "/").map(String.init)
                do {
                    let action = try await reconciler.reconcile(namespace: parts[0], name: parts[1])
                    if action != .reconciled { failed += 1 }
                } catch {
                    failed += 1
                }
                await queue.done(key)
            }
            return failed
        }
    }
    var failed = 0
    for await count in group { failed += count }
    return failed
}
let elapsed = ContinuousClock.now - start
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let managedResources = await api.store.list(ManagedResource.resourceType, namespace: nil).items.count
let secrets = await api.store.list(Secret.resourceType, namespace: nil).items.count
let peak = peakResidentKiB()

print(
    "controller-bench: \(total) ContainerRuntimes in \(namespaces) namespaces, \(workers) workers, in-memory API "
        + "(change history 1,000)")
print(
    String(
        format: "  wall time           %.3f s   (goal ≤ 2 s)   %.2f ms per ContainerRuntime", seconds,
        seconds * 1000 / Double(total)))
print(
    String(
        format: "  peak RSS (VmHWM)    %.1f MB  (goal ≤ 30 MB; %.1f MB before creating objects)", Double(peak) / 1024,
        Double(baseline) / 1024))
print("  objects written     \(managedResources) ManagedResources, \(secrets) Secrets; failures: \(failures)")
if failures > 0 || managedResources != namespaces * (perNamespace + 1) { exit(1) }
