import ArgumentParser
import Controller
import Foundation
import Kubernetes

/// The Gardener extension controller for ContainerRuntimes of type `gvisor`. Arguments only; the work is in the
/// Controller library.
@main
struct GardenerExtensionRuntimeGVisor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gardener-extension-runtime-gvisor",
        abstract: "Gardener extension: ContainerRuntime type gvisor → RuntimeClass gvisor and installer DaemonSets.",
        subcommands: [Run.self, Render.self], defaultSubcommand: Run.self)
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the controller (the default).")

    @Option(help: "kubeconfig of the seed; default: $KUBECONFIG, else the pod's service account")
    var kubeconfig: String?
    @Option(help: "kubeconfig context (default: its current-context)") var context: String?
    @Option(help: "workers reconciling ContainerRuntimes in parallel") var maxConcurrentReconciles = 5
    @Option(help: "reconcile on every spec change instead of on gardener.cloud/operation (true|false)")
    var ignoreOperationAnnotation = false
    @Option(name: .customLong("extension-class"), help: "extension class to serve (repeatable; default shoot)")
    var extensionClasses: [String] = []
    @Option(help: "use leader election (true|false)") var leaderElection = true
    @Option(
        help:
            "namespace of the leader-election Lease (default: $LEADER_ELECTION_NAMESPACE, else the pod's namespace, else garden)"
    )
    var leaderElectionNamespace: String?
    @Option(help: "name of the leader-election Lease") var leaderElectionId = "runtime-gvisor-leader-election"
    @Option(help: "address of /metrics (also serves /healthz, /readyz)") var metricsBindAddress = ":8080"
    @Option(help: "address of /healthz and /readyz") var healthBindAddress = ":8081"
    @Option(help: "image of the node installer (runs gvisor-node run)") var installerImage = Defaults.installerImage
    @Option(help: "repository for providerConfig.testImageTag (development only; omit the flag to disable)")
    var gvisorInstallationTestRepository: String?
    @Option(
        help: "namespace of the heartbeat Lease gardener-extension-heartbeat (default: the leader-election namespace)")
    var heartbeatNamespace: String?
    @Option(help: "how often the heartbeat Lease is renewed, in seconds (0: no heartbeat)")
    var heartbeatRenewIntervalSeconds = 30
    @Option(
        help: "reject providerConfigs with unknown fields or invalid flag values instead of ignoring those (true|false)"
    )
    var strictProviderConfig = false
    @Option(help: "RuntimeClass overhead.podFixed memory (a Kubernetes quantity; empty: no overhead)")
    var runtimeClassOverheadMemory = Rendering.Overhead.default.memory
    @Option(help: "RuntimeClass overhead.podFixed cpu (a Kubernetes quantity)")
    var runtimeClassOverheadCpu = Rendering.Overhead.default.cpu

    func validate() throws {
        guard maxConcurrentReconciles >= 1 else {
            throw ValidationError("--max-concurrent-reconciles: expected a number ≥ 1, got \(maxConcurrentReconciles)")
        }
        guard heartbeatRenewIntervalSeconds >= 0 else {
            throw ValidationError("--heartbeat-renew-interval-seconds: expected a number ≥ 0")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let config: KubeConfig
        if let path = kubeconfig ?? environment["KUBECONFIG"].flatMap({ $0.isEmpty ? nil : $0 }) {
            config = try KubeConfig.load(path: path, context: context)
        } else {
            config = try KubeConfig.inCluster()
        }
        let client = try KubernetesClient(config: config)
        let hostname = ProcessInfo.processInfo.hostName
        let electionNamespace =
            leaderElectionNamespace ?? environment["LEADER_ELECTION_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? config.namespace ?? "garden"
        let options = ControllerManager.Options(
            maxConcurrentReconciles: maxConcurrentReconciles, ignoreOperationAnnotation: ignoreOperationAnnotation,
            extensionClasses: Set(extensionClasses.isEmpty ? ["shoot"] : extensionClasses),
            leaderElection: leaderElection, leaderElectionNamespace: electionNamespace,
            leaderElectionID: leaderElectionId, identity: "\(hostname)_\(UUID().uuidString.lowercased())",
            metricsBindAddress: metricsBindAddress, healthBindAddress: healthBindAddress,
            installerImage: installerImage,
            testRepository: gvisorInstallationTestRepository.flatMap { $0.isEmpty ? nil : $0 },
            heartbeatNamespace: heartbeatRenewIntervalSeconds > 0 ? heartbeatNamespace ?? electionNamespace : nil,
            heartbeatRenewInterval: .seconds(max(1, heartbeatRenewIntervalSeconds)),
            strictProviderConfig: strictProviderConfig,
            runtimeClassOverhead: runtimeClassOverheadMemory.isEmpty
                ? nil : Rendering.Overhead(memory: runtimeClassOverheadMemory, cpu: runtimeClassOverheadCpu))
        let manager = ControllerManager(api: client, options: options)
        do {
            try await ProcessSignals.runUntilTerminated { try await manager.run() }
        } catch {
            try? await client.shutdown()
            // One JSON line like every other log line (not ArgumentParser's plain "Error: ..."), then exit 1 so that
            // the restarted container starts as a candidate again.
            Log.error("controller stopped", ["error": "\(error)"])
            throw ExitCode.failure
        }
        try await client.shutdown()
    }
}

/// Image defaults: the chart's values (one registry, this project's image names, the chart's appVersion).
enum Defaults {
    static let registry = "ghcr.io/gardener-extension-runtime-gvisor-swift"
    static let tag = "0.1.0"
    static let installerImage = "\(registry)/gvisor-installation:\(tag)"
}

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the shoot manifests (RuntimeClass, ServiceAccount, ConfigMap, DaemonSet) for one pool.")

    @Option(help: "worker pool name") var pool = "worker-gvisor"
    @Option(help: "spec.binaryPath") var binaryPath = "/var/bin/containerruntimes"
    @Option(help: "GVisorConfiguration file (YAML or JSON) used as providerConfig") var providerConfig: String?
    @Option(help: "installer image") var installerImage = Defaults.installerImage

    func run() throws {
        let text = try providerConfig.map { path in
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("--provider-config: cannot read \(path)")
            }
            return String(decoding: data, as: UTF8.self)
        }
        print(
            try RenderCommand.manifests(
                pool: pool, binaryPath: binaryPath, providerConfig: text,
                poolSelector: ["worker.gardener.cloud/pool": pool, "worker.garden.sapcloud.io/group": pool],
                image: installerImage), terminator: "")
    }
}
