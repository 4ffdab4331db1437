import GVisorConfig
import Glibc
import HostOS
import ShimAPI

extension ShimService {
    /// Creates the directories runsc's path flags (`debug-log`, `panic-log`, ...) write into and checks that each
    /// can take a file. runsc 20221219 exits at once when it cannot open its `--debug-log`, so a read-only or full
    /// log disk would stop every container; instead a flag whose directory fails is dropped for this container
    /// (with `debug` too when `debug-log` goes, so debug output does not flood the bundle's `log.json`) and the
    /// shim's log names the path and the error. The shim log directory is created but not probed.
    func usableLogPaths(_ config: RunscShimConfig, id: ContainerID) -> RunscShimConfig {
        var usable = config
        var verdicts: [String: SystemError?] = [:]
        for (flag, directory) in config.pathFlagDirectories(for: id) {
            let verdict = verdicts[directory] ?? LogDirectoryProbe.check(directory)
            verdicts[directory] = verdict
            guard let problem = verdict else { continue }
            usable.runscConfig[flag] = nil
            var fields = [("id", id.rawValue), ("flag", flag), ("path", directory), ("error", "\(problem)")]
            if flag == "debug-log", usable.runscConfig["debug"] != nil {
                usable.runscConfig["debug"] = nil
                fields.append(("dropped_too", "debug"))
            }
            log.warning("log directory unusable, container starts without this runsc flag", fields)
        }
        for directory in config.directoriesToCreate(for: id) where verdicts[directory] == nil {
            do { try makeDirectories(directory, mode: 0o755) } catch {
                log.warning("cannot create the log directory", [("path", directory), ("error", "\(error)")])
            }
        }
        return usable
    }
}

extension ShimService {
    /// runsc.toml's `log_path`: the shim's log lines also go to that file from this Create on, starting with a
    /// header naming the container, as gVisor's Go shim writes one (args, pid, id, bundle, stdio). A file that
    /// cannot be opened is a warning, never a failed container.
    func openShimLogFile(
        _ config: RunscShimConfig, id: ContainerID, bundle: String, request: Containerd_Task_V2_CreateTaskRequest
    ) {
        guard let path = config.shimLogPath(for: id), let files = log.files else { return }
        do {
            _ = try files.add(path)
        } catch {
            log.warning(
                "log_path unusable, shim log stays on containerd's FIFO only",
                [
                    ("id", id.rawValue), ("path", path), ("error", "\(error)"),
                ])
            return
        }
        log.info(
            "shim log file",
            [
                ("id", id.rawValue), ("path", path), ("pid", "\(getpid())"), ("bundle", bundle),
                ("stdin", request.stdin), ("stdout", request.stdout), ("stderr", request.stderr),
                ("terminal", "\(request.terminal)"),
            ])
    }
}

extension ShimService {
    /// A pod sandbox's runsc logs beside the pod's container logs, as gVisor's Go shim places them
    /// (pkg/shim/v1/utils: `io.kubernetes.cri.sandbox-log-directory` → `--user-log <dir>/gvisor.log` for
    /// `create` and `--panic-log <dir>/gvisor_panic.log`), so what the application wrote to the sandbox's
    /// console and a sentry panic are found next to `kubectl logs`. Only for the sandbox (its runsc boots the
    /// pod; runsc.toml may not set `panic-log`, the shim owns it); a directory that cannot take a file is a warning.
    /// Returns the configuration to run with and the `--user-log` path for `create`.
    func podSandboxLogs(
        _ config: RunscShimConfig, spec: BundleSpec, id: ContainerID
    ) -> (config: RunscShimConfig, userLog: String?) {
        guard spec.criContainerType == "sandbox",
            let directory = spec.annotations[CRIAnnotations.sandboxLogDirectory], directory.hasPrefix("/")
        else { return (config, nil) }
        if let problem = LogDirectoryProbe.check(directory) {
            log.warning(
                "pod log directory unusable, the sandbox starts without --user-log and --panic-log",
                [("id", id.rawValue), ("path", directory), ("error", "\(problem)")])
            return (config, nil)
        }
        var adjusted = config
        adjusted.runscConfig["panic-log"] = "\(directory)/gvisor_panic.log"
        return (adjusted, "\(directory)/gvisor.log")
    }
}

/// Whether a log directory can take a file: created if missing, then a one-byte probe file is written and removed.
/// Writing (not only `access(2)`) is what notices a full disk, and a read-only mount even for root.
enum LogDirectoryProbe {
    static func check(_ directory: String) -> SystemError? {
        do { try makeDirectories(directory, mode: 0o755) } catch { return error }
        let probe = "\(directory)/.gvisor-shim-probe.\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return SystemError(operation: "create \(probe)", errno: errno) }
        defer {
            close(fd)
            unlink(probe)
        }
        var byte: UInt8 = 0x0a
        guard write(fd, &byte, 1) == 1 else { return SystemError(operation: "write \(probe)", errno: errno) }
        return nil
    }
}
