import Glibc
import HostOS
import Runsc

/// The host cgroup of a sandbox process, read and written directly: for Stats when runsc cannot answer (runsc
/// 20221219's `events --stats` panics with a division by zero before the container started), and for Update's
/// limits when runsc has no `update` subcommand (ShimService+Resources.swift).
///
/// v1 hierarchies are found by controller (`/sys/fs/cgroup/<controller>/<path>`), the unified hierarchy at
/// `/sys/fs/cgroup/<path>`; paths come from `/proc/<pid>/cgroup`.
struct SandboxCgroup: Sendable, Equatable {
    /// Directory per v1 controller (`memory`, `cpu`, `cpuacct`, `pids`); empty on a unified host.
    var v1: [String: String] = [:]
    /// The unified hierarchy's directory, on a cgroup v2 host.
    var unified: String?

    /// The cgroups of `pid`, or nil when its `/proc/<pid>/cgroup` cannot be read (the process is gone).
    init?(pid: pid_t, proc: String = "/proc", root: String = "/sys/fs/cgroup", unifiedHost: Bool) {
        guard let bytes = try? HostFile.read("\(proc)/\(pid)/cgroup") else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = String(fields[2])
            if fields[1].isEmpty {
                if unifiedHost { unified = root + (path == "/" ? "" : path) }
                continue
            }
            for controller in fields[1].split(separator: ",") where !controller.hasPrefix("name=") {
                v1[String(controller)] = "\(root)/\(controller)" + (path == "/" ? "" : path)
            }
        }
    }

    init(v1: [String: String] = [:], unified: String? = nil) {
        self.v1 = v1
        self.unified = unified
    }

    // MARK: Stats

    /// The counters runsc's `events --stats` reports, from the host's view of the whole sandbox.
    func stats(id: String) -> RunscStats {
        if let unified { return unifiedStats(unified, id: id) }
        var stats = RunscStats(id: id)
        if let memory = v1["memory"] {
            let raw = Self.keyedValues(readText("\(memory)/memory.stat"))
            func entry(_ prefix: String) -> RunscStats.Memory.Entry {
                .init(
                    usage: number("\(memory)/\(prefix).usage_in_bytes"),
                    max: number("\(memory)/\(prefix).max_usage_in_bytes"),
                    limit: number("\(memory)/\(prefix).limit_in_bytes"), failcnt: number("\(memory)/\(prefix).failcnt"))
            }
            stats.memory = .init(
                cache: raw["cache"] ?? 0, usage: entry("memory"), swap: entry("memory.memsw"),
                kernel: entry("memory.kmem"), kernelTCP: entry("memory.kmem.tcp"), raw: raw)
        }
        if let cpuacct = v1["cpuacct"] ?? v1["cpu"] {
            // cpuacct.stat counts USER_HZ ticks (100 per second on Linux).
            let ticks = Self.keyedValues(readText("\(cpuacct)/cpuacct.stat"))
            let perCPU = readText("\(cpuacct)/cpuacct.usage_percpu").split(whereSeparator: { $0 == " " || $0 == "\n" })
                .compactMap { UInt64($0) }
            let throttling = v1["cpu"].map { Self.keyedValues(readText("\($0)/cpu.stat")) } ?? [:]
            stats.cpu = .init(
                usage: .init(
                    total: number("\(cpuacct)/cpuacct.usage"), kernel: (ticks["system"] ?? 0) * 10_000_000,
                    user: (ticks["user"] ?? 0) * 10_000_000, perCPU: perCPU),
                throttling: .init(
                    periods: throttling["nr_periods"] ?? 0, throttledPeriods: throttling["nr_throttled"] ?? 0,
                    throttledTime: throttling["throttled_time"] ?? 0))
        }
        if let pids = v1["pids"] {
            stats.pids = .init(current: number("\(pids)/pids.current"), limit: number("\(pids)/pids.max"))
        }
        return stats
    }

    private func unifiedStats(_ directory: String, id: String) -> RunscStats {
        let memoryStat = Self.keyedValues(readText("\(directory)/memory.stat"))
        let cpuStat = Self.keyedValues(readText("\(directory)/cpu.stat"))
        var raw = memoryStat
        raw["rss"] = memoryStat["anon"]
        return RunscStats(
            id: id,
            cpu: .init(
                usage: .init(
                    total: (cpuStat["usage_usec"] ?? 0) * 1000, kernel: (cpuStat["system_usec"] ?? 0) * 1000,
                    user: (cpuStat["user_usec"] ?? 0) * 1000),
                throttling: .init(
                    periods: cpuStat["nr_periods"] ?? 0, throttledPeriods: cpuStat["nr_throttled"] ?? 0,
                    throttledTime: (cpuStat["throttled_usec"] ?? 0) * 1000)),
            memory: .init(
                cache: memoryStat["file"] ?? 0,
                usage: .init(
                    usage: number("\(directory)/memory.current"), max: number("\(directory)/memory.peak"),
                    limit: number("\(directory)/memory.max")),
                swap: .init(
                    usage: number("\(directory)/memory.swap.current"), limit: number("\(directory)/memory.swap.max")),
                raw: raw),
            pids: .init(current: number("\(directory)/pids.current"), limit: number("\(directory)/pids.max")))
    }

    // MARK: Files

    private func readText(_ path: String) -> String { HostFile.readText(path) ?? "" }

    /// A file holding one number; `max` (no limit) and a missing file read as 0, as runsc reports them.
    private func number(_ path: String) -> UInt64 {
        readText(path).split(separator: "\n").first.flatMap { UInt64($0) } ?? 0
    }

    /// `key value` lines (memory.stat, cpu.stat, cpuacct.stat).
    static func keyedValues(_ text: String) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = UInt64(parts[1]) { result[String(parts[0])] = value }
        }
        return result
    }
}

extension SandboxCgroup {
    struct WriteFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Writes the limits to the sandbox's host cgroup (Update without `runsc update`; runsc 2026's `update` does
    /// the same for a root container).
    func apply(_ limits: ResourceLimits) throws(WriteFailure) {
        let targets: [(directory: String, control: ResourceLimits.Control)]
        if let unified {
            targets = limits.v2Controls.map { (unified, $0) }
        } else {
            targets = try limits.v1Controls.map { control throws(WriteFailure) in
                guard let directory = v1[control.controller] else {
                    throw WriteFailure(description: "the sandbox has no \(control.controller) cgroup on the host")
                }
                return (directory, control)
            }
        }
        for (directory, control) in targets {
            let path = "\(directory)/\(control.file)"
            let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
            guard fd >= 0 else { throw WriteFailure(description: "open \(path): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let bytes = Array(control.value.utf8)
            guard write(fd, bytes, bytes.count) == bytes.count else {
                throw WriteFailure(
                    description: "write \(control.value) to \(path): \(String(cString: strerror(errno)))")
            }
        }
    }
}
