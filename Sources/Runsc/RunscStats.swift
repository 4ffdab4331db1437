/// `runsc events --stats <id>`: `{"type":"stats","id":…,"data":{cpu, memory, pids}}`.
///
/// runsc's Go structs omit zero counters, and older or newer versions report different groups, so every
/// counter defaults to 0 and every group is optional: what is there is decoded, what is not stays `nil`.
public struct RunscStats: Sendable, Hashable, Decodable {
    public var id: String?
    public var cpu: CPU?
    public var memory: Memory?
    public var pids: Pids?

    public init(id: String? = nil, cpu: CPU? = nil, memory: Memory? = nil, pids: Pids? = nil) {
        self.id = id
        self.cpu = cpu
        self.memory = memory
        self.pids = pids
    }

    public struct CPU: Sendable, Hashable, Decodable {
        public var usage: Usage
        public var throttling: Throttling

        public init(usage: Usage = Usage(), throttling: Throttling = Throttling()) {
            self.usage = usage
            self.throttling = throttling
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            usage = try container.decodeIfPresent(Usage.self, forKey: .usage) ?? Usage()
            throttling = try container.decodeIfPresent(Throttling.self, forKey: .throttling) ?? Throttling()
        }

        private enum Keys: String, CodingKey { case usage, throttling }

        /// Nanoseconds of CPU time.
        public struct Usage: Sendable, Hashable, Decodable {
            public var total: UInt64
            public var kernel: UInt64
            public var user: UInt64
            public var perCPU: [UInt64]

            public init(total: UInt64 = 0, kernel: UInt64 = 0, user: UInt64 = 0, perCPU: [UInt64] = []) {
                self.total = total
                self.kernel = kernel
                self.user = user
                self.perCPU = perCPU
            }

            public init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: Keys.self)
                total = try container.decodeIfPresent(UInt64.self, forKey: .total) ?? 0
                kernel = try container.decodeIfPresent(UInt64.self, forKey: .kernel) ?? 0
                user = try container.decodeIfPresent(UInt64.self, forKey: .user) ?? 0
                perCPU = try container.decodeIfPresent([UInt64].self, forKey: .percpu) ?? []
            }

            private enum Keys: String, CodingKey { case total, kernel, user, percpu }
        }

        public struct Throttling: Sendable, Hashable, Decodable {
            public var periods: UInt64
            public var throttledPeriods: UInt64
            public var throttledTime: UInt64

            public init(periods: UInt64 = 0, throttledPeriods: UInt64 = 0, throttledTime: UInt64 = 0) {
                self.periods = periods
                self.throttledPeriods = throttledPeriods
                self.throttledTime = throttledTime
            }

            public init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: Keys.self)
                periods = try container.decodeIfPresent(UInt64.self, forKey: .periods) ?? 0
                throttledPeriods = try container.decodeIfPresent(UInt64.self, forKey: .throttledPeriods) ?? 0
                throttledTime = try container.decodeIfPresent(UInt64.self, forKey: .throttledTime) ?? 0
            }

            private enum Keys: String, CodingKey { case periods, throttledPeriods, throttledTime }
        }
    }

    /// Bytes, as cgroup v1 memory counters.
    public struct Memory: Sendable, Hashable, Decodable {
        public var cache: UInt64
        public var usage: Entry
        public var swap: Entry
        public var kernel: Entry
        public var kernelTCP: Entry
        public var raw: [String: UInt64]

        public init(
            cache: UInt64 = 0, usage: Entry = Entry(), swap: Entry = Entry(), kernel: Entry = Entry(),
            kernelTCP: Entry = Entry(), raw: [String: UInt64] = [:]
        ) {
            self.cache = cache
            self.usage = usage
            self.swap = swap
            self.kernel = kernel
            self.kernelTCP = kernelTCP
            self.raw = raw
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            cache = try container.decodeIfPresent(UInt64.self, forKey: .cache) ?? 0
            usage = try container.decodeIfPresent(Entry.self, forKey: .usage) ?? Entry()
            swap = try container.decodeIfPresent(Entry.self, forKey: .swap) ?? Entry()
            kernel = try container.decodeIfPresent(Entry.self, forKey: .kernel) ?? Entry()
            kernelTCP = try container.decodeIfPresent(Entry.self, forKey: .kernelTCP) ?? Entry()
            raw = try container.decodeIfPresent([String: UInt64].self, forKey: .raw) ?? [:]
        }

        private enum Keys: String, CodingKey { case cache, usage, swap, kernel, kernelTCP, raw }

        public struct Entry: Sendable, Hashable, Decodable {
            public var usage: UInt64
            public var max: UInt64
            public var limit: UInt64
            public var failcnt: UInt64

            public init(usage: UInt64 = 0, max: UInt64 = 0, limit: UInt64 = 0, failcnt: UInt64 = 0) {
                self.usage = usage
                self.max = max
                self.limit = limit
                self.failcnt = failcnt
            }

            public init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: Keys.self)
                usage = try container.decodeIfPresent(UInt64.self, forKey: .usage) ?? 0
                max = try container.decodeIfPresent(UInt64.self, forKey: .max) ?? 0
                limit = try container.decodeIfPresent(UInt64.self, forKey: .limit) ?? 0
                failcnt = try container.decodeIfPresent(UInt64.self, forKey: .failcnt) ?? 0
            }

            private enum Keys: String, CodingKey { case usage, max, limit, failcnt }
        }
    }

    public struct Pids: Sendable, Hashable, Decodable {
        public var current: UInt64
        public var limit: UInt64

        public init(current: UInt64 = 0, limit: UInt64 = 0) {
            self.current = current
            self.limit = limit
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            current = try container.decodeIfPresent(UInt64.self, forKey: .current) ?? 0
            limit = try container.decodeIfPresent(UInt64.self, forKey: .limit) ?? 0
        }

        private enum Keys: String, CodingKey { case current, limit }
    }
}

/// The envelope runsc prints; only `type == "stats"` carries stats.
struct RunscStatsEvent: Decodable {
    var type: String
    var id: String?
    var data: Payload

    struct Payload: Decodable {
        var cpu: RunscStats.CPU?
        var memory: RunscStats.Memory?
        var pids: RunscStats.Pids?
    }
}
