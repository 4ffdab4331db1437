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
        var directories = Set(pathFlagDirectories(for: id).map(\.directory))
        if let logPath, let directory = Self.directory(of: Self.substitute(id, in: logPath)) {
            directories.insert(directory)
        }
        return directories.sorted(by: utf8Less)
    }

    /// Each absolute path flag of `runscConfig` with the directory it writes into for `id` (as in
    /// ``directoriesToCreate(for:)``), sorted by flag. The shim checks each directory can take a file before runsc
    /// starts and drops the flags whose directory cannot (runsc exits when it cannot open its `--debug-log`).
    public func pathFlagDirectories(for id: ContainerID) -> [(flag: String, directory: String)] {
        runscConfig.keys.filter { Self.pathFlags.contains($0) }.sorted(by: utf8Less).compactMap { flag in
            Self.directory(of: Self.substitute(id, in: runscConfig[flag]!)).map { (flag: flag, directory: $0) }
        }
    }

    /// The directory an expanded path flag writes into: its parent, or itself when it ends in `/`, cut before the
    /// first remaining `%VARIABLE%`. Nil for relative paths and for files directly in `/`.
    static func directory(of expanded: String) -> String? {
        guard expanded.hasPrefix("/") else { return nil }
        var components = expanded.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if !expanded.hasSuffix("/"), !components.isEmpty { components.removeLast() }
        if let variable = components.firstIndex(where: { $0.contains("%") }) {
            components.removeSubrange(variable...)
        }
        guard !components.isEmpty else { return nil }
        return "/" + components.joined(separator: "/")
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
