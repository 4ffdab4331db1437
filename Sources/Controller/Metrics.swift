import Foundation

/// The controller's Prometheus metrics, with controller-runtime's names so that existing dashboards work.
public actor Metrics {
    private var reconciles: [String: Int] = [:]
    private var errors = 0
    private var durationSum = 0.0
    private var durationCount = 0
    private var buckets: [Double: Int] = [:]
    private var activeWorkers = 0
    private var leader = false
    public let controller: String
    public let maxConcurrentReconciles: Int
    static let bucketBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

    public init(controller: String = "containerruntime", maxConcurrentReconciles: Int) {
        self.controller = controller
        self.maxConcurrentReconciles = maxConcurrentReconciles
    }

    public func recordReconcile(result: String, seconds: Double) {
        reconciles[result, default: 0] += 1
        if result == "error" { errors += 1 }
        durationSum += seconds
        durationCount += 1
        for bound in Self.bucketBounds where seconds <= bound { buckets[bound, default: 0] += 1 }
    }

    public func workerStarted() { activeWorkers += 1 }
    public func workerFinished() { activeWorkers -= 1 }
    public func setLeader(_ value: Bool) { leader = value }

    public func reconcileCount(result: String) -> Int { reconciles[result] ?? 0 }

    /// The text exposition format (version 0.0.4).
    public func render(queueDepth: Int, queueAdds: Int, queueRetries: Int) -> String {
        let c = "controller=\"\(controller)\""
        var lines: [String] = []
        lines.append("# HELP controller_runtime_reconcile_total Total number of reconciliations per controller")
        lines.append("# TYPE controller_runtime_reconcile_total counter")
        for result in ["error", "requeue", "requeue_after", "success"] {
            lines.append("controller_runtime_reconcile_total{\(c),result=\"\(result)\"} \(reconciles[result] ?? 0)")
        }
        lines.append(
            "# HELP controller_runtime_reconcile_errors_total Total number of reconciliation errors per controller")
        lines.append("# TYPE controller_runtime_reconcile_errors_total counter")
        lines.append("controller_runtime_reconcile_errors_total{\(c)} \(errors)")
        lines.append(
            "# HELP controller_runtime_reconcile_time_seconds Length of time per reconciliation per controller")
        lines.append("# TYPE controller_runtime_reconcile_time_seconds histogram")
        for bound in Self.bucketBounds {
            lines.append(
                "controller_runtime_reconcile_time_seconds_bucket{\(c),le=\"\(Self.number(bound))\"} \(buckets[bound] ?? 0)"
            )
        }
        lines.append("controller_runtime_reconcile_time_seconds_bucket{\(c),le=\"+Inf\"} \(durationCount)")
        lines.append("controller_runtime_reconcile_time_seconds_sum{\(c)} \(Self.number(durationSum))")
        lines.append("controller_runtime_reconcile_time_seconds_count{\(c)} \(durationCount)")
        lines.append(
            "# HELP controller_runtime_max_concurrent_reconciles Maximum number of concurrent reconciles per controller"
        )
        lines.append("# TYPE controller_runtime_max_concurrent_reconciles gauge")
        lines.append("controller_runtime_max_concurrent_reconciles{\(c)} \(maxConcurrentReconciles)")
        lines.append("# HELP controller_runtime_active_workers Number of currently used workers per controller")
        lines.append("# TYPE controller_runtime_active_workers gauge")
        lines.append("controller_runtime_active_workers{\(c)} \(activeWorkers)")
        lines.append("# HELP workqueue_depth Current depth of workqueue")
        lines.append("# TYPE workqueue_depth gauge")
        lines.append("workqueue_depth{name=\"\(controller)\"} \(queueDepth)")
        lines.append("# HELP workqueue_adds_total Total number of adds handled by workqueue")
        lines.append("# TYPE workqueue_adds_total counter")
        lines.append("workqueue_adds_total{name=\"\(controller)\"} \(queueAdds)")
        lines.append("# HELP workqueue_retries_total Total number of retries handled by workqueue")
        lines.append("# TYPE workqueue_retries_total counter")
        lines.append("workqueue_retries_total{name=\"\(controller)\"} \(queueRetries)")
        lines.append(
            "# HELP leader_election_master_status Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master."
        )
        lines.append("# TYPE leader_election_master_status gauge")
        lines.append("leader_election_master_status{name=\"runtime-gvisor-leader-election\"} \(leader ? 1 : 0)")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
