import Runsc
import ShimAPI
import Synchronization
import Testing

@testable import Shim

struct StatsTests {
    private let sample = RunscStats(
        id: "c1",
        cpu: .init(
            usage: .init(total: 5_000_000, kernel: 2_000_000, user: 3_000_000, perCPU: [4_000_000, 1_000_000]),
            throttling: .init(periods: 10, throttledPeriods: 2, throttledTime: 9_000)),
        memory: .init(
            cache: 4096, usage: .init(usage: 2_027_520, max: 3_000_000, limit: 67_108_864, failcnt: 1),
            raw: ["rss": 1_000_000]),
        pids: .init(current: 3, limit: 100))

    @Test func v1MetricsCarryEveryCounter() throws {
        let metrics = StatsConversion.v1(sample)
        #expect(metrics.cpu.usage.total == 5_000_000)
        #expect(metrics.cpu.usage.perCpu == [4_000_000, 1_000_000])
        #expect(metrics.cpu.throttling.throttledPeriods == 2)
        #expect(metrics.memory.usage.usage == 2_027_520)
        #expect(metrics.memory.usage.limit == 67_108_864)
        #expect(metrics.memory.usage.failcnt == 1)
        #expect(metrics.memory.cache == 4096)
        #expect(metrics.memory.rss == 1_000_000)
        #expect(metrics.pids.current == 3)
        let any = try StatsConversion.metrics(sample, unifiedHierarchy: false)
        #expect(any.typeURL == "io.containerd.cgroups.v1.Metrics")
        #expect(try TypeURL.unpack(any, as: Io_Containerd_Cgroups_V1_Metrics.self) == metrics)
    }

    @Test func v2MetricsUseMicrosecondsAndTheirOwnTypeURL() throws {
        let metrics = StatsConversion.v2(sample)
        #expect(metrics.cpu.usageUsec == 5_000)
        #expect(metrics.cpu.systemUsec == 2_000)
        #expect(metrics.cpu.throttledUsec == 9)
        #expect(metrics.memory.usage == 2_027_520)
        #expect(metrics.memory.usageLimit == 67_108_864)
        #expect(metrics.pids.limit == 100)
        #expect(
            try StatsConversion.metrics(sample, unifiedHierarchy: true).typeURL == "io.containerd.cgroups.v2.Metrics")
    }

    @Test func missingGroupsStayUnset() {
        let metrics = StatsConversion.v1(RunscStats(id: "c1"))
        #expect(!metrics.hasCpu && !metrics.hasMemory && !metrics.hasPids)
    }

    @Test func concurrentCallersShareOneRunscRunAndRecentAnswersAreReused() async throws {
        let cache = StatsCache(maxAge: .seconds(30))
        let fetches = Mutex(0)
        let sample = self.sample
        let fetch: @Sendable () async throws -> RunscStats = {
            fetches.withLock { $0 += 1 }
            try await Task.sleep(for: .milliseconds(100))
            return sample
        }
        let results = try await withThrowingTaskGroup(of: RunscStats.self) { group in
            for _ in 0..<50 { group.addTask { try await cache.stats(fetch: fetch) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 50 && results.allSatisfy { $0 == sample })
        _ = try await cache.stats(fetch: fetch)
        #expect(fetches.withLock { $0 } == 1)
        #expect(await cache.runscCalls == 1)
    }

    @Test func staleAnswersAreFetchedAgainAndFailuresAreNotCached() async throws {
        let cache = StatsCache(maxAge: .milliseconds(50))
        let fetches = Mutex(0)
        let sample = self.sample
        struct Boom: Error {}
        await #expect(throws: Boom.self) { try await cache.stats { throw Boom() } }
        _ = try await cache.stats {
            fetches.withLock { $0 += 1 }
            return sample
        }
        try await Task.sleep(for: .milliseconds(80))
        _ = try await cache.stats {
            fetches.withLock { $0 += 1 }
            return sample
        }
        #expect(fetches.withLock { $0 } == 2)
    }
}
