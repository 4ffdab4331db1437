extension RunscShimConfig {
    /// `[runsc_config]` flags whose value is a file path that may contain `%ID%` (gVisor's shim before 2026 listed
    /// these in `FormatRunscPaths`), plus `profiling-metrics-log`, which runsc also treats as a path.
    public static let pathFlags: Set<String> = [
        "coverage-report", "debug-log", "log", "panic-log", "profile-block", "profile-cpu", "profile-heap",
        "profile-mutex", "profiling-metrics-log", "trace",
    ]

    /// ``runscFlags`` with `%ID%` replaced by `id`.
    ///
    /// runsc releases before 2026 (Debian's included) only expand `%TIMESTAMP%`, `%COMMAND%` and `%TEST%`, so the
    /// shim has to expand `%ID%` itself, as gVisor's shim used to.
    public func runscFlags(substitutingID id: ContainerID) -> [String] {
        runscConfig.keys.sorted(by: utf8Less).map { "--\($0)=\(Self.substitute(id, in: runscConfig[$0]!))" }
    }

    /// The shim's own log file for `id`: `log_path` with `%ID%` replaced, and `runsc-shim-<id>.log` appended when it
    /// names a directory (ends in `/`). Nil without `log_path`.
    public func shimLogPath(for id: ContainerID) -> String? {
        guard let logPath else { return nil }
        let path = Self.substitute(id, in: logPath)
        return path.hasSuffix("/") ? path + "runsc-shim-\(id.rawValue).log" : path
    }

    /// Directories that must exist before runsc starts for `id`: the parents of every path flag and of the shim log,
    /// after `%ID%` substitution, sorted and without duplicates.
    ///
    /// A path ending in `/` is itself the directory (runsc's directory mode). Only the part before the first
    /// remaining `%VARIABLE%` is returned (runsc fills those in per command), and relative paths are left out:
    /// they are relative to runsc's working directory, the bundle, which exists already.
    /// Example: `debug-log = "/var/log/runsc/%ID%/gvisor-%COMMAND%.log"` gives `/var/log/runsc/<id>`.
    public func directoriesToCreate(for id: ContainerID) -> [String] {
        var paths = runscConfig.filter { Self.pathFlags.contains($0.key) }.map(\.value)
        if let logPath { paths.append(logPath) }
        var directories: Set<String> = []
        for path in paths {
            let expanded = Self.substitute(id, in: path)
            guard expanded.hasPrefix("/") else { continue }
            var components = expanded.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            if !expanded.hasSuffix("/"), !components.isEmpty { components.removeLast() }
            if let variable = components.firstIndex(where: { $0.contains("%") }) {
                components.removeSubrange(variable...)
            }
            guard !components.isEmpty else { continue }
            directories.insert("/" + components.joined(separator: "/"))
        }
        return directories.sorted(by: utf8Less)
    }

    /// The same configuration with every path setting under `prefix` moved under `replacement`: `root`, `log_path`
    /// and the ``pathFlags``. Tests use it to send `/var/log/runsc/...` into a temporary directory.
    ///
    /// Matches whole path components only: `/var/log/runsc` moves `/var/log/runsc/x`, not `/var/log/runsc2/x`.
    public func rewritingPathPrefix(_ prefix: String, to replacement: String) -> RunscShimConfig {
        func rewrite(_ path: String) -> String {
            let trimmed = prefix.count > 1 && prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
            guard path == trimmed || path.hasPrefix(trimmed == "/" ? "/" : trimmed + "/") else { return path }
            let rest = path.dropFirst(trimmed.count)
            let base =
                replacement.count > 1 && replacement.hasSuffix("/") ? String(replacement.dropLast()) : replacement
            if trimmed == "/" { return base + "/" + rest }
            return base + rest
        }
        var copy = self
        copy.root = rewrite(root)
        copy.logPath = logPath.map(rewrite)
        for key in runscConfig.keys where Self.pathFlags.contains(key) {
            copy.runscConfig[key] = rewrite(runscConfig[key]!)
        }
        return copy
    }

    static func substitute(_ id: ContainerID, in value: String) -> String {
        value.replacing("%ID%", with: id.rawValue)
    }
}
