import Foundation

/// Leader election on a coordination.k8s.io Lease, with client-go's semantics: a lease counts as expired when its
/// record has not changed for `leaseDuration` as observed on this process's clock (no trust in other clocks),
/// the leader renews every `retryPeriod` and gives up when it could not renew within `renewDeadline`.
public actor LeaderElection {
    public struct Configuration: Sendable {
        public var namespace: String
        public var name: String
        public var identity: String
        public var leaseDuration: Duration
        public var renewDeadline: Duration
        public var retryPeriod: Duration

        public init(
            namespace: String, name: String, identity: String, leaseDuration: Duration = .seconds(15),
            renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2)
        ) {
            self.namespace = namespace
            self.name = name
            self.identity = identity
            self.leaseDuration = leaseDuration
            self.renewDeadline = renewDeadline
            self.retryPeriod = retryPeriod
        }
    }

    public struct LostLeadership: Error, CustomStringConvertible {
        public var description: String
    }

    public let api: any KubernetesAPI
    public let configuration: Configuration
    private let clock = ContinuousClock()
    private var observedSpec: Lease.Spec?
    private var observedAt: ContinuousClock.Instant?
    public private(set) var isLeader = false

    public init(api: any KubernetesAPI, configuration: Configuration) {
        self.api = api
        self.configuration = configuration
    }

    /// Waits until this process holds the lease.
    public func acquire() async throws {
        while true {
            if (try? await tryAcquireOrRenew()) == true { return }
            try await Task.sleep(for: configuration.retryPeriod)
        }
    }

    /// Renews until cancelled; throws ``LostLeadership`` when renewing failed for longer than `renewDeadline` or
    /// someone else took the lease.
    public func keepRenewing() async throws {
        var lastRenewal = clock.now
        while true {
            try await Task.sleep(for: configuration.retryPeriod)
            let renewed: Bool
            do {
                renewed = try await tryAcquireOrRenew()
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                renewed = false
            }
            if renewed {
                lastRenewal = clock.now
            } else if observedSpec?.holderIdentity != configuration.identity
                || clock.now - lastRenewal > configuration.renewDeadline
            {
                isLeader = false
                let holder = observedSpec?.holderIdentity
                let reason =
                    holder == configuration.identity
                    ? "not renewed within the renew deadline of \(configuration.renewDeadline) (the API server did "
                        + "not answer or refused the update; the lease still names this process)"
                    : "taken over by \(holder ?? "unknown")"
                throw LostLeadership(
                    description: "lease \(configuration.namespace)/\(configuration.name): leadership lost: \(reason)")
            }
        }
    }

    /// Gives the lease up (empty holder), so a successor need not wait for it to expire.
    public func release() async {
        guard isLeader else { return }
        isLeader = false
        let identity = configuration.identity
        _ = try? await api.modify(Lease.self, namespace: configuration.namespace, name: configuration.name) { lease in
            guard lease.spec.holderIdentity == identity else { return false }
            lease.spec.holderIdentity = nil
            lease.spec.leaseDurationSeconds = 1
            return true
        }
    }

    /// One attempt: create the lease, renew our own, or take over an expired one. Returns whether we lead.
    public func tryAcquireOrRenew() async throws -> Bool {
        let now = Timestamp.rfc3339Micro(Date())
        let seconds = Int(configuration.leaseDuration.components.seconds)
        guard
            let existing = try await api.getIfExists(
                Lease.self, namespace: configuration.namespace, name: configuration.name)
        else {
            let lease = Lease(
                metadata: ObjectMeta(name: configuration.name, namespace: configuration.namespace),
                spec: Lease.Spec(
                    holderIdentity: configuration.identity, leaseDurationSeconds: seconds, acquireTime: now,
                    renewTime: now, leaseTransitions: 0))
            do {
                let created = try await api.create(lease)
                observe(created.spec)
                isLeader = true
                return true
            } catch let error as KubernetesError where error.isAlreadyExists {
                return false
            }
        }
        observe(existing.spec)
        let holder = existing.spec.holderIdentity ?? ""
        let ours = holder == configuration.identity
        if !ours, !holder.isEmpty, let observedAt, clock.now - observedAt < configuration.leaseDuration {
            isLeader = false
            return false
        }
        var lease = existing
        if !ours {
            lease.spec.acquireTime = now
            lease.spec.leaseTransitions = (lease.spec.leaseTransitions ?? 0) + 1
        }
        lease.spec.holderIdentity = configuration.identity
        lease.spec.leaseDurationSeconds = seconds
        lease.spec.renewTime = now
        do {
            let updated = try await api.update(lease)
            observe(updated.spec)
            isLeader = true
            return true
        } catch let error as KubernetesError where error.isConflict {
            return false
        }
    }

    private func observe(_ spec: Lease.Spec) {
        if spec != observedSpec {
            observedSpec = spec
            observedAt = clock.now
        }
    }
}
