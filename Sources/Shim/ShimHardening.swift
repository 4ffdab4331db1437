import GVisorConfig
import Glibc
import Hardening
import ShimAPI
import SwiftProtobuf

/// The daemon's self-confinement: at start it drops the capabilities neither it nor runsc needs from its bounding
/// set (`Hardening.CapabilityBoundingSet`) and loads `Hardening.SelfConfinement`'s seccomp allow-list; every runsc
/// it starts inherits both. The runsc.toml containerd names for this runtime can switch both off with
/// `shim_seccomp = false`; `GVISOR_SHIM_SECCOMP_MODE=log` in the shim's environment (containerd's) makes the filter
/// log calls outside the list instead of refusing them, for measuring a new runsc.
///
/// The daemon starts before any Create, so it learns that file from `start`: containerd 1.6-2.2
/// write the runtime options (`runtimeoptions.v1.Options`, whose `config_path` Create reads too)
/// to `start`'s stdin (2.3+ inside `BootstrapParams`, see ``StartInput``), and `start` hands the path on
/// in the daemon's environment.
public enum ShimHardening {
    /// Environment variable `start` sets for the daemon: the runtime options' `config_path`.
    public static let configPathVariable = "GVISOR_SHIM_CONFIG_PATH"
    /// Environment variable choosing `SelfConfinement.Mode` (`enforce`, the default, or `log`).
    public static let seccompModeVariable = "GVISOR_SHIM_SECCOMP_MODE"

    /// The daemon's environment: `environment` plus the config path from `start`'s stdin, if any.
    public static func daemonEnvironment(_ environment: [String: String], startStdin: [UInt8]) -> [String: String] {
        var result = environment
        result[configPathVariable] = nil
        result[configPathVariable] = StartInput.configPath(startStdin)
        return result
    }

    /// Whether runsc.toml (the daemon's `config_path`, or the default file) leaves self-confinement on, with the
    /// warning to log when it does not or cannot be read.
    static func selfConfinementSetting(environment: [String: String]) -> (
        on: Bool, warning: (String, [(String, String)])?
    ) {
        let path = environment[configPathVariable] ?? ShimService.Settings(namespace: "").defaultConfigPath
        guard access(path, F_OK) == 0 else { return (true, nil) }
        do {
            if try !RunscShimConfig.load(contentsOfFile: path).config.shimSeccomp {
                return (
                    false,
                    (
                        "seccomp self-confinement is off (and the capability bounding set is kept)",
                        [("file", path), ("setting", "shim_seccomp = false")]
                    )
                )
            }
            return (true, nil)
        } catch {
            return (
                true, ("runsc.toml unreadable at start; seccomp self-confinement stays on", [("error", "\(error)")])
            )
        }
    }

    /// Drops from the calling thread's bounding set every capability neither the daemon nor runsc needs, unless
    /// runsc.toml switches self-confinement off. `start` calls it on the thread that spawns the daemon, right
    /// before: capability sets belong to threads, and a child inherits its spawning thread's, so the daemon and
    /// everything it starts begin with the reduced set in every thread (a drop inside the multi-threaded daemon
    /// would reach only one of its threads). Failures are left for the daemon to report.
    public static func dropCapabilitiesForDaemon(daemonEnvironment: [String: String]) {
        guard selfConfinementSetting(environment: daemonEnvironment).on else { return }
        _ = try? CapabilityBoundingSet.dropUnneeded()
    }

    /// Loads the filter unless runsc.toml switches it off, and reports the bounding set `start` left; logs what
    /// it did either way. A failure to load is logged as an error and the daemon runs on unconfined: the filter
    /// hardens the shim, its absence must not take pods down.
    public static func confineDaemon(environment: [String: String], log: ShimLog) {
        let setting = selfConfinementSetting(environment: environment)
        if let (message, fields) = setting.warning { log.warning(message, fields) }
        guard setting.on else { return }
        let kept = CapabilitySet(CapabilityBoundingSet.shimKeeps.map(\.capability))
        if let bounding = try? ProcessCapabilities.current().bounding {
            let unneeded = bounding.subtracting(kept)
            if unneeded.isEmpty {
                log.info(
                    "capabilities dropped from the bounding set",
                    [
                        ("dropped", "\(CapabilitySet(Capability.supported).subtracting(bounding))"),
                        ("kept", "\(bounding)"),
                    ])
            } else {
                log.error("the bounding set still holds capabilities nothing needs", [("unneeded", "\(unneeded)")])
            }
        }
        let requested = environment[seccompModeVariable] ?? ""
        let mode = SelfConfinement.Mode(rawValue: requested) ?? .enforce
        if !requested.isEmpty && requested != mode.rawValue {
            log.warning("unknown seccomp mode; enforcing", [(seccompModeVariable, requested)])
        }
        do {
            let report = try SelfConfinement.load(mode: mode)
            log.info(
                "seccomp self-confinement on",
                [
                    ("mode", report.mode.rawValue), ("allowed_syscalls", "\(report.allowedCount)"),
                    ("denied_syscalls", "\(report.deniedCount)"),
                    ("action", report.mode == .enforce ? "EPERM" : "log"),
                    ("architectures", report.architectures.joined(separator: ",")),
                    ("no_new_privs", "\(report.noNewPrivileges)"),
                ])
        } catch {
            log.error("seccomp self-confinement failed; running unconfined", [("error", "\(error)")])
        }
    }
}
