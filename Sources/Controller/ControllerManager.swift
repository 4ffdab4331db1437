import Foundation
import Kubernetes

/// The controller process: health and metrics endpoints, leader election on the Lease
/// `runtime-gvisor-leader-election`, informers on ContainerRuntimes (and the installers' ManagedResources, and
/// Clusters when the operation annotation is ignored) feeding a rate-limited work queue, and
/// `maxConcurrentReconciles` workers running the ``Reconciler``.
public final class ControllerManager: Sendable {
    public struct Options: Sendable {
        public var maxConcurrentReconciles: Int
        public var ignoreOperationAnnotation: Bool
        public var extensionClasses: Set<String>
        public var leaderElection: Bool
        public var leaderElectionNamespace: String
        public var leaderElectionID: String
        public var identity: String
        public var metricsBindAddress: String
        public var healthBindAddress: String
        public var installerImage: String
        public var testRepository: String?
        /// Namespace of the heartbeat Lease; nil: no heartbeat.
        public var heartbeatNamespace: String?
        public var heartbeatRenewInterval: Duration
        public var strictProviderConfig: Bool
        public var runtimeClassOverhead: Rendering.Overhead?

        public init(
            maxConcurrentReconciles: Int = 5, ignoreOperationAnnotation: Bool = false,
            extensionClasses: Set<String> = ["shoot"], leaderElection: Bool = true,
            leaderElectionNamespace: String = "garden", leaderElectionID: String = Names.leaderElectionLease,
            identity: String, metricsBindAddress: String = ":8080", healthBindAddress: String = ":8081",
            installerImage: String, testRepository: String? = nil, heartbeatNamespace: String? = nil,
            heartbeatRenewInterval: Duration = .seconds(30), strictProviderConfig: Bool = false,
            runtimeClassOverhead: Rendering.Overhead? = .default
        ) {
            self.heartbeatNamespace = heartbeatNamespace
            self.heartbeatRenewInterval = heartbeatRenewInterval
            self.strictProviderConfig = strictProviderConfig
            self.runtimeClassOverhead = runtimeClassOverhead
            self.maxConcurrentReconciles = maxConcurrentReconciles
            self.ignoreOperationAnnotation = ignoreOperationAnnotation
            self.extensionClasses = extensionClasses
            self.leaderElection = leaderElection
            self.leaderElectionNamespace = leaderElectionNamespace
            self.leaderElectionID = leaderElectionID
            self.identity = identity
            self.metricsBindAddress = metricsBindAddress
            self.healthBindAddress = healthBindAddress
            self.installerImage = installerImage
            self.testRepository = testRepository
        }
    }

    public let api: any KubernetesAPI
    public let options: Options
    public let queue = WorkQueue()
    public let metrics: Metrics
    public let reconciler: Reconciler
    private let state = State()

    private actor State {
        var synced = false
        var healthy = true
        var ports: [Int] = []
        func markSynced() { synced = true }
        func markUnhealthy() { healthy = false }
        func setPorts(_ value: [Int]) { ports = value }
    }

    /// The ports the endpoints listen on, in the order of the sorted, de-duplicated bind addresses (empty until
    /// ``run()`` has bound them; useful with port 0).
    public var boundPorts: [Int] { get async { await state.ports } }

    public init(api: any KubernetesAPI, options: Options) {
        self.api = api
        self.options = options
        metrics = Metrics(maxConcurrentReconciles: options.maxConcurrentReconciles)
        let actuator = Actuator(
            api: api,
            options: Actuator.Options(
                installerImage: options.installerImage, testRepository: options.testRepository,
                strictProviderConfig: options.strictProviderConfig,
                runtimeClassOverhead: options.runtimeClassOverhead))
        reconciler = Reconciler(
            api: api, actuator: actuator,
            options: Reconciler.Options(
                ignoreOperationAnnotation: options.ignoreOperationAnnotation,
                extensionClasses: options.extensionClasses))
    }

    /// Answers for the HTTP endpoints.
    public func endpoint(_ path: String) async -> (status: Int, contentType: String, body: String) {
        switch path {
        case "/healthz":
            return await state.healthy ? (200, "text/plain", "ok") : (500, "text/plain", "leadership lost")
        case "/readyz":
            return await state.synced ? (200, "text/plain", "ok") : (503, "text/plain", "informers not synced")
        case "/metrics":
            let text = await metrics.render(
                queueDepth: await queue.depth, queueAdds: await queue.adds, queueRetries: await queue.retries)
            return (200, "text/plain; version=0.0.4; charset=utf-8", text)
        default:
            return (404, "text/plain", "not found: \(path)")
        }
    }

    /// Runs until cancelled or until leadership is lost (then it throws, and the process should exit so that
    /// its restart starts as a candidate again).
    public func run() async throws {
        let addresses = Array(Set([options.metricsBindAddress, options.healthBindAddress])).sorted()
        let endpoints = try await HTTPEndpoints(addresses: addresses) { [self] path in await endpoint(path) }
        await state.setPorts(endpoints.ports)
        Log.info("serving /healthz /readyz /metrics", ["addresses": addresses.joined(separator: ",")])
        defer { Task { await endpoints.close() } }

        let election: LeaderElection? =
            options.leaderElection
            ? LeaderElection(
                api: api,
                configuration: LeaderElection.Configuration(
                    namespace: options.leaderElectionNamespace, name: options.leaderElectionID,
                    identity: options.identity)) : nil
        // Informers fill the queue from the start, so that a new leader begins with a warm queue.
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.runInformers() }
                do {
                    if let election {
                        Log.info(
                            "waiting for leadership",
                            ["lease": "\(options.leaderElectionNamespace)/\(options.leaderElectionID)"])
                        try await election.acquire()
                        await metrics.setLeader(true)
                        Log.info("leading", ["identity": options.identity])
                        group.addTask {
                            do {
                                try await election.keepRenewing()
                            } catch {
                                await self.state.markUnhealthy()
                                await self.metrics.setLeader(false)
                                throw error
                            }
                        }
                    }
                    if let namespace = options.heartbeatNamespace {
                        let heartbeat = Heartbeat(
                            api: api, namespace: namespace, renewInterval: options.heartbeatRenewInterval)
                        group.addTask { await heartbeat.run() }
                    }
                    for _ in 0..<max(1, options.maxConcurrentReconciles) {
                        group.addTask { await self.worker() }
                    }
                    // Ends when leadership is lost (throws) or the task is cancelled.
                    try await group.next()
                } catch {
                    await queue.shutdown()  // workers wait in the queue, not on cancellation
                    throw error
                }
                await queue.shutdown()
            }
        } catch {
            await release(election)
            throw error
        }
        await release(election)
    }

    /// Outside the cancelled task, so that the request still goes out.
    private func release(_ election: LeaderElection?) async {
        guard let election else { return }
        await Task { await election.release() }.value
        await metrics.setLeader(false)
    }

    func worker() async {
        while let key = await queue.next() {
            await metrics.workerStarted()
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            let start = ContinuousClock.now
            do {
                let action = try await reconciler.reconcile(namespace: parts[0], name: parts[1])
                await queue.forget(key)
                await metrics.recordReconcile(result: "success", seconds: Self.seconds(since: start))
                if action != .none { Log.info("reconciled", ["object": key, "action": action.rawValue]) }
            } catch {
                await queue.addRateLimited(key)
                await metrics.recordReconcile(result: "error", seconds: Self.seconds(since: start))
                Log.error("reconcile failed", ["object": key, "error": "\(error)"])
            }
            await metrics.workerFinished()
            await queue.done(key)
        }
    }

    private func runInformers() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                let seen = SeenRuntimes()
                await Informer<ContainerRuntime>(api: self.api).run { notification in
                    switch notification {
                    case .upserted(let runtime):
                        if runtime.spec.type == Names.containerRuntimeType, await seen.changed(runtime) {
                            await self.queue.add("\(runtime.namespace ?? "")/\(runtime.name)")
                        }
                    case .deleted(let runtime):
                        await seen.forget(runtime)
                    case .synced:
                        await self.state.markSynced()
                        Log.info("ContainerRuntime informer synced")
                    }
                }
            }
            group.addTask {
                await Informer<ManagedResource>(api: self.api, labelSelector: [Names.originLabel: Names.origin]).run {
                    notification in
                    switch notification {
                    case .upserted(let resource), .deleted(let resource):
                        if let owner = resource.metadata.labels?[Names.containerRuntimeLabel] {
                            await self.queue.add("\(resource.namespace ?? "")/\(owner)")
                        }
                    case .synced: break
                    }
                }
            }
            if options.ignoreOperationAnnotation {
                group.addTask {
                    await Informer<Cluster>(api: self.api).run { notification in
                        guard case .upserted(let cluster) = notification else { return }
                        let runtimes = try? await self.api.list(ContainerRuntime.self, namespace: cluster.name)
                        for runtime in runtimes?.items ?? [] where runtime.spec.type == Names.containerRuntimeType {
                            await self.queue.add("\(cluster.name)/\(runtime.name)")
                        }
                    }
                }
            }
        }
    }

    private static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

/// The event filter in front of the queue: a ContainerRuntime is queued when it is new or its generation,
/// annotations, finalizers or deletion state changed, not for status-only updates (most of them our own;
/// queuing those would spin a failing object past its backoff, which retries it instead).
actor SeenRuntimes {
    private struct Fingerprint: Equatable {
        var generation: Int64?
        var annotations: [String: String]?
        var finalizers: [String]?
        var deleting: Bool
    }

    private var fingerprints: [String: Fingerprint] = [:]

    func changed(_ runtime: ContainerRuntime) -> Bool {
        let key = "\(runtime.namespace ?? "")/\(runtime.name)"
        let fingerprint = Fingerprint(
            generation: runtime.metadata.generation, annotations: runtime.metadata.annotations,
            finalizers: runtime.metadata.finalizers, deleting: runtime.metadata.isDeleting)
        defer { fingerprints[key] = fingerprint }
        return fingerprints[key] != fingerprint
    }

    func forget(_ runtime: ContainerRuntime) {
        fingerprints["\(runtime.namespace ?? "")/\(runtime.name)"] = nil
    }
}
