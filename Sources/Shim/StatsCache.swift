import Glibc
import Runsc
import ShimAPI
import SwiftProtobuf

/// Metrics for one container, fetched with `runsc events --stats` at most once per `maxAge`.
///
/// A metrics scraper (kubelet, cAdvisor, Prometheus) may call Stats for every container every few
/// seconds, in parallel; each call would fork a runsc. Concurrent calls share one runsc run, and a
/// recent answer is reused, so the number of runsc processes per container is bounded by time,
/// not by callers.
actor StatsCache {
    private let maxAge: Duration
    private var cached: (at: ContinuousClock.Instant, stats: RunscStats)?
    private var inFlight: Task<RunscStats, any Error>?
    private(set) var runscCalls = 0

    init(maxAge: Duration = .seconds(1)) { self.maxAge = maxAge }

    func stats(fetch: @escaping @Sendable () async throws -> RunscStats) async throws -> RunscStats {
        if let cached, ContinuousClock.now - cached.at < maxAge { return cached.stats }
        if let inFlight { return try await inFlight.value }
        let task = Task { try await fetch() }
        inFlight = task
        runscCalls += 1
        defer { inFlight = nil }
        let stats = try await task.value
        cached = (ContinuousClock.now, stats)
        return stats
    }
}

/// runsc's stats as the cgroups metrics containerd and the kubelet decode.
enum StatsConversion {
    /// cgroup v2 metrics on a unified-hierarchy host, v1 otherwise: what the host uses decides, not a
    /// runsc flag (gVisor's shim looked at `systemd-cgroup`, which says nothing about the hierarchy).
    static func metrics(_ stats: RunscStats, unifiedHierarchy: Bool) throws -> Google_Protobuf_Any {
        unifiedHierarchy ? try TypeURL.pack(v2(stats)) : try TypeURL.pack(v1(stats))
    }

    static func v1(_ stats: RunscStats) -> Io_Containerd_Cgroups_V1_Metrics {
        var metrics = Io_Containerd_Cgroups_V1_Metrics()
        if let cpu = stats.cpu {
            metrics.cpu = .with {
                $0.usage = .with {
                    $0.total = cpu.usage.total
                    $0.kernel = cpu.usage.kernel
                    $0.user = cpu.usage.user
                    $0.perCpu = cpu.usage.perCPU
                }
                $0.throttling = .with {
                    $0.periods = cpu.throttling.periods
                    $0.throttledPeriods = cpu.throttling.throttledPeriods
                    $0.throttledTime = cpu.throttling.throttledTime
                }
            }
        }
        if let memory = stats.memory {
            func entry(_ entry: RunscStats.Memory.Entry) -> Io_Containerd_Cgroups_V1_MemoryEntry {
                .with {
                    $0.usage = entry.usage
                    $0.max = entry.max
                    $0.limit = entry.limit
                    $0.failcnt = entry.failcnt
                }
            }
            metrics.memory = .with {
                $0.cache = memory.cache
                $0.rss = memory.raw["rss"] ?? 0
                $0.mappedFile = memory.raw["mapped_file"] ?? 0
                $0.totalRss = memory.raw["total_rss"] ?? 0
                $0.totalCache = memory.raw["total_cache"] ?? 0
                $0.usage = entry(memory.usage)
                $0.swap = entry(memory.swap)
                $0.kernel = entry(memory.kernel)
                $0.kernelTcp = entry(memory.kernelTCP)
            }
        }
        if let pids = stats.pids {
            metrics.pids = .with {
                $0.current = pids.current
                $0.limit = pids.limit
            }
        }
        return metrics
    }

    static func v2(_ stats: RunscStats) -> Io_Containerd_Cgroups_V2_Metrics {
        var metrics = Io_Containerd_Cgroups_V2_Metrics()
        if let cpu = stats.cpu {
            metrics.cpu = .with {
                $0.usageUsec = cpu.usage.total / 1000
                $0.userUsec = cpu.usage.user / 1000
                $0.systemUsec = cpu.usage.kernel / 1000
                $0.nrPeriods = cpu.throttling.periods
                $0.nrThrottled = cpu.throttling.throttledPeriods
                $0.throttledUsec = cpu.throttling.throttledTime / 1000
            }
        }
        if let memory = stats.memory {
            metrics.memory = .with {
                $0.usage = memory.usage.usage
                $0.usageLimit = memory.usage.limit
                $0.swapUsage = memory.swap.usage
                $0.swapLimit = memory.swap.limit
                $0.file = memory.cache
                $0.anon = memory.raw["rss"] ?? 0
            }
        }
        if let pids = stats.pids {
            metrics.pids = .with {
                $0.current = pids.current
                $0.limit = pids.limit
            }
        }
        return metrics
    }

    /// Whether the host mounts cgroup v2 as the only hierarchy.
    static let hostHasUnifiedHierarchy: Bool = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0
}
