import Hardening

extension Doctor {
    /// This process's capability sets (libcap) against what runsc needs for the installed runsc.toml's flags.
    /// The DaemonSet's privileged container holds what a host process started by systemd holds, so a missing
    /// capability here is one containerd, the shim and runsc lack too.
    public static let capabilities = Check(id: "capabilities", title: "capabilities") { context in
        let process: ProcessCapabilities
        do {
            process = try ProcessCapabilities.current()
        } catch {
            return Result(.failed, "cannot read this process's capabilities: \(error)")
        }
        let needs = RunscCapabilityNeeds(runscConfig: installedRunscConfig(context))
        let missing = needs.missing(in: process)
        let details = [
            Detail("effective", process.effective.description),
            Detail("permitted", process.permitted.description),
            Detail("bounding", process.bounding.description),
            Detail("runsc needs", needs.requirements.map(\.capability.ociName).joined(separator: ",")),
            Detail("missing", missing.isEmpty ? "none" : missing.map(\.description).joined(separator: "; ")),
        ]
        if !missing.isEmpty {
            return Result(
                .failed,
                "runsc needs capabilities this process lacks: "
                    + missing.map(\.description).joined(separator: "; "), details: details)
        }
        return Result(
            .ok, "all \(needs.requirements.count) capabilities runsc needs are effective, permitted and bounding",
            details: details)
    }
}
