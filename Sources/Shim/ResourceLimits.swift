import OCI

/// The limits of an OCI `LinuxResources` that Update applies when runsc has no `update` subcommand (before
/// 2026): memory limit and CPU shares, quota and period, the ones Kubernetes' in-place pod resize changes.
/// CRI resends the whole `LinuxResources` (devices, pids, hugepages, ...) with every update; the rest is
/// left as it is.
struct ResourceLimits: Equatable {
    var memoryLimit: Int64?
    var cpuShares: UInt64?
    var cpuQuota: Int64?
    var cpuPeriod: UInt64?

    init(memoryLimit: Int64? = nil, cpuShares: UInt64? = nil, cpuQuota: Int64? = nil, cpuPeriod: UInt64? = nil) {
        self.memoryLimit = memoryLimit
        self.cpuShares = cpuShares
        self.cpuQuota = cpuQuota
        self.cpuPeriod = cpuPeriod
    }

    init(resources: JSONValue) {
        memoryLimit = resources["memory"]?["limit"]?.integerValue
        cpuShares = resources["cpu"]?["shares"]?.integerValue.flatMap { $0 > 0 ? UInt64($0) : nil }
        cpuQuota = resources["cpu"]?["quota"]?.integerValue.flatMap { $0 != 0 ? $0 : nil }
        cpuPeriod = resources["cpu"]?["period"]?.integerValue.flatMap { $0 > 0 ? UInt64($0) : nil }
    }

    var isEmpty: Bool { self == ResourceLimits() }

    /// A cgroup control file and the text to write, in the order to write them.
    struct Control: Equatable {
        var controller: String
        var file: String
        var value: String
    }

    /// cgroup v1 files: the host's v1 hierarchies and runsc's own cgroupfs (`write-control`) both use them.
    /// The period goes before the quota, which the kernel checks against it.
    var v1Controls: [Control] {
        var controls: [Control] = []
        if let memoryLimit {
            controls.append(.init(controller: "memory", file: "memory.limit_in_bytes", value: "\(memoryLimit)"))
        }
        if let cpuShares { controls.append(.init(controller: "cpu", file: "cpu.shares", value: "\(cpuShares)")) }
        if let cpuPeriod { controls.append(.init(controller: "cpu", file: "cpu.cfs_period_us", value: "\(cpuPeriod)")) }
        if let cpuQuota { controls.append(.init(controller: "cpu", file: "cpu.cfs_quota_us", value: "\(cpuQuota)")) }
        return controls
    }

    /// cgroup v2 files, converted as runc does (shares to weight: `1 + (shares - 2) * 9999 / 262142`).
    var v2Controls: [Control] {
        var controls: [Control] = []
        if let memoryLimit {
            controls.append(
                .init(controller: "memory", file: "memory.max", value: memoryLimit < 0 ? "max" : "\(memoryLimit)"))
        }
        if let cpuShares {
            let weight = 1 + (min(max(cpuShares, 2), 262_144) - 2) * 9999 / 262_142
            controls.append(.init(controller: "cpu", file: "cpu.weight", value: "\(weight)"))
        }
        if cpuQuota != nil || cpuPeriod != nil {
            let quota = cpuQuota.map { $0 > 0 ? "\($0)" : "max" } ?? "max"
            controls.append(.init(controller: "cpu", file: "cpu.max", value: "\(quota) \(cpuPeriod ?? 100_000)"))
        }
        return controls
    }
}
