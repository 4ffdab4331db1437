import GVisorConfig
import Glibc
import Hardening
import ShimAPI
import SwiftProtobuf

/// The daemon's self-confinement: at start it loads `Hardening.SelfConfinement`'s seccomp filter,
/// which every runsc it starts inherits, unless the runsc.toml containerd names for this runtime
/// says `shim_seccomp = false`.
///
/// The daemon starts before any Create, so it learns that file from `start`: containerd 1.6-2.2
/// write the runtime options (`runtimeoptions.v1.Options`, whose `config_path` Create reads too)
/// to `start`'s stdin (2.3+ inside `BootstrapParams`, see ``StartInput``), and `start` hands the path on
/// in the daemon's environment.
public enum ShimHardening {
    /// Environment variable `start` sets for the daemon: the runtime options' `config_path`.
    public static let configPathVariable = "GVISOR_SHIM_CONFIG_PATH"

    /// The daemon's environment: `environment` plus the config path from `start`'s stdin, if any.
    public static func daemonEnvironment(_ environment: [String: String], startStdin: [UInt8]) -> [String: String] {
        var result = environment
        result[configPathVariable] = nil
        result[configPathVariable] = StartInput.configPath(startStdin)
        return result
    }

    /// Loads the filter unless runsc.toml switches it off; logs what it did either way. A failure
    /// to load is logged as an error and the daemon runs on unconfined: the filter hardens the
    /// shim, its absence must not take pods down.
    public static func confineDaemon(environment: [String: String], log: ShimLog) {
        let path = environment[configPathVariable] ?? ShimService.Settings(namespace: "").defaultConfigPath
        if access(path, F_OK) == 0 {
            do {
                if try !RunscShimConfig.load(contentsOfFile: path).config.shimSeccomp {
                    log.warning(
                        "seccomp self-confinement is off", [("file", path), ("setting", "shim_seccomp = false")])
                    return
                }
            } catch {
                log.warning(
                    "runsc.toml unreadable at start; seccomp self-confinement stays on", [("error", "\(error)")])
            }
        }
        do {
            let report = try SelfConfinement.load()
            log.info(
                "seccomp self-confinement on",
                [
                    ("denied_syscalls", "\(report.deniedCount)"), ("action", "EPERM"),
                    ("architectures", report.architectures.joined(separator: ",")),
                    ("no_new_privs", "\(report.noNewPrivileges)"),
                ])
        } catch {
            log.error("seccomp self-confinement failed; running unconfined", [("error", "\(error)")])
        }
    }
}
