// `make bench` (report, not a gate): reconcile 500 gVisor ContainerRuntimes spread over 100 shoot namespaces
// through the real Reconciler and Actuator over the in-memory API, with 5 workers as in production.
// Goals (issue 21): wall time ≤ 1 s, peak memory ≤ 30 MB for the controller. The in-process API stand-in's share
// is measured separately and subtracted: a second run of this binary (`--stand-in-only FILE`) loads the objects the
// controller left in the store into a fresh store of the same kind, with as many changes for its history, and
// reports what that store costs.

import Controller
import Foundation
import Kubernetes
import KubernetesTesting

func statusKiB(_ field: String) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? -1
    }
    return -1
}

func peakResidentKiB() -> Int { statusKiB("VmHWM") }

/// The resource types the benchmark's store holds.
let storedTypes = [
    Cluster.resourceType, ContainerRuntime.resourceType, ManagedResource.resourceType, Secret.resourceType,
    Event.resourceType,
]

/// `--stand-in-only FILE`: one object per line (`{"type": index into storedTypes, "object": …}`) into a fresh store
/// with the benchmark's history limit, then one status change per ContainerRuntime (the controller's run wrote at
/// least as many changes, so both histories are full). Prints the resident KiB the store added.
func standInOnly(file: String) async throws {
    let before = statusKiB("VmRSS")
    let store = ObjectStore(historyLimit: 1_000)
    do {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let entry = try JSONValue(parsing: line)
            guard let index = entry["type"]?.integerValue, let object = entry["object"] else { continue }
            let type = storedTypes[Int(index)]
            _ = try await store.create(
                type, namespace: object.value(at: "metadata.namespace")?.stringValue, object: object)
        }
    }
    for var object in await store.list(ContainerRuntime.resourceType, namespace: nil).items {
        object["status"] = ["observedGeneration": 2]
        _ = try await store.update(
            ContainerRuntime.resourceType, namespace: object.value(at: "metadata.namespace")?.stringValue,
            object: object, status: true)
    }
    print(statusKiB("VmRSS") - before)
    withExtendedLifetime(store) {}
}

if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "--stand-in-only" {
    try await standInOnly(file: CommandLine.arguments[2])
    exit(0)
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

// The stand-in's share, measured in a second process from what this run left in the store.
let dump = FileManager.default.temporaryDirectory.appendingPathComponent("controller-bench-\(getpid()).jsonl")
var lines: [UInt8] = []
for (index, type) in storedTypes.enumerated() {
    for object in await api.store.list(type, namespace: nil).items {
        lines += JSONValue.object(["type": .int(Int64(index)), "object": object]).serialized() + [UInt8(ascii: "\n")]
    }
}
try Data(lines).write(to: dump)
lines = []
let child = Process()
child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
child.arguments = ["--stand-in-only", dump.path]
let pipe = Pipe()
child.standardOutput = pipe
try child.run()
let answer = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
child.waitUntilExit()
try? FileManager.default.removeItem(at: dump)
let standIn = Int(answer.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1

print(
    "controller-bench: \(total) ContainerRuntimes in \(namespaces) namespaces, \(workers) workers, in-memory API "
        + "(change history 1,000)")
print(
    String(
        format: "  wall time           %.3f s   (goal ≤ 1 s)   %.2f ms per ContainerRuntime", seconds,
        seconds * 1000 / Double(total)))
print(
    String(
        format: "  peak RSS (VmHWM)    %.1f MB  (%.1f MB before creating objects), API stand-in included",
        Double(peak) / 1024, Double(baseline) / 1024))
print(
    String(
        format: "  API stand-in        %.1f MB  (the store's objects and history, measured in a second process)",
        Double(standIn) / 1024))
print(
    String(
        format: "  controller          %.1f MB  (peak minus the stand-in; goal ≤ 30 MB)", Double(peak - standIn) / 1024)
)
print("  objects written     \(managedResources) ManagedResources, \(secrets) Secrets; failures: \(failures)")
if failures > 0 || managedResources != namespaces * (perNamespace + 1) || standIn < 0 { exit(1) }
