import GVisorConfig
import HostOS

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension Doctor {
    public static let runscBinary = Check(id: "runsc", title: "runsc") { context in
        binary(context, name: NodeLayout.runscName, versionArguments: ["--version"])
    }

    public static let shimBinary = Check(id: "shim", title: "containerd-shim-runsc-v1") { context in
        binary(context, name: NodeLayout.shimName, versionArguments: ["-v"])
    }

    /// Present, executable, and answers its version flag.
    static func binary(_ context: Context, name: String, versionArguments: [String]) -> Result {
        let hostPath = context.layout.binDirectory + "/" + name
        let path = context.layout.onHost(hostPath)
        guard FileSystem.exists(path) else {
            return Result(.failed, "\(hostPath) is missing (run gvisor-node install)")
        }
        guard FileSystem.isExecutableFile(path) else { return Result(.failed, "\(hostPath) is not an executable file") }
        let probe = Subprocess.run([path] + versionArguments, timeoutSeconds: 20)
        guard probe.succeeded else {
            return Result(
                .failed, "\(hostPath) \(versionArguments.joined(separator: " ")) failed (\(probe.status))",
                details: [Detail("path", hostPath), Detail("output", probe.output)])
        }
        let version = probe.output.split(separator: "\n").map { String($0).trimmingWhitespace }
            .filter { !$0.isEmpty && !$0.hasSuffix(":") }.joined(separator: ", ")
        return Result(.ok, "\(hostPath): \(version)", details: [Detail("path", hostPath), Detail("version", version)])
    }

    public static let containerdConfig = Check(id: "containerd-config", title: "containerd handler runsc") { context in
        let layout = context.layout
        let file = layout.onHost(layout.containerdConfig)
        let config: ContainerdConfig
        do {
            guard let text = try HostFiles.readText(file) else {
                return Result(.failed, "\(layout.containerdConfig) is missing")
            }
            config = try ContainerdConfig(text: text, path: layout.containerdConfig)
        } catch let error as InstallerError {
            return Result(.failed, error.description)
        } catch {
            return Result(.failed, "\(error)")
        }
        var details = [
            Detail("file", layout.containerdConfig), Detail("version", "\(config.version.rawValue)"),
            Detail("table", TOMLPath.header(config.version.runscPath)),
        ]
        let state = config.handlerState
        // The handler belongs in config.toml (see NodeInstaller.planInstall); a drop-in of an older gvisor-node
        // repeats the CRI section and overrides what gardener-node-agent later sets in config.toml.
        let legacy = NodeInstaller.legacyDropIns(layout: layout, config: config).filter {
            FileSystem.exists(layout.onHost($0))
        }
        if !legacy.isEmpty {
            details.append(Detail("drop-in", legacy.joined(separator: ", ")))
            return Result(
                .failed,
                "\(legacy.joined(separator: ", ")) (an older gvisor-node's drop-in) overrides the CRI section of "
                    + "\(layout.containerdConfig); run gvisor-node install", details: details)
        }
        if !state.staleEntries.isEmpty {
            details.append(Detail("stale", state.staleEntries.joined(separator: "; ")))
        }
        if state.isClean {
            return Result(.ok, "registered in \(layout.containerdConfig) (config \(config.version))", details: details)
        }
        if state.isAbsent {
            return Result(.failed, "handler runsc is not registered in \(layout.containerdConfig)", details: details)
        }
        var problems = state.problems
        problems += state.staleEntries.map { "stale entry at \($0)" }
        details.append(Detail("problems", problems.joined(separator: "; ")))
        return Result(.failed, "handler runsc is wrong: " + problems.joined(separator: "; "), details: details)
    }

    public static let runscTOML = Check(id: "runsc-toml", title: "runsc.toml") { context in
        let layout = context.layout
        let file = layout.onHost(layout.runscTOML)
        guard let text = try? HostFiles.readText(file) else {
            return Result(.failed, "\(layout.runscTOML) is missing or unreadable")
        }
        let loaded: RunscShimConfig.Loaded
        do {
            loaded = try RunscShimConfig.parse(text, file: layout.runscTOML)
        } catch {
            return Result(.failed, "\(error)")
        }
        let flags = loaded.config.runscFlags
        var details = [Detail("file", layout.runscTOML), Detail("flags", flags.joined(separator: " "))]
        if let expected = context.expectedRunscTOML, expected != text {
            details.append(Detail("expected", expected))
            return Result(
                .failed, "\(layout.runscTOML) differs from the configuration (run gvisor-node install)",
                details: details)
        }
        if !loaded.warnings.isEmpty {
            details.append(Detail("warnings", loaded.warnings.map(\.description).joined(separator: "; ")))
            return Result(
                .warning, "valid, with warnings: " + loaded.warnings.map(\.description).joined(separator: "; "),
                details: details)
        }
        return Result(
            .ok, flags.isEmpty ? "valid, no runsc flags" : "valid: " + flags.joined(separator: " "), details: details)
    }

    /// The platform runsc.toml asks for, and whether this kernel and device set allow it.
    public static let platform = Check(id: "platform", title: "gVisor platform") { context in
        let flags =
            (try? HostFiles.readText(context.layout.onHost(context.layout.runscTOML)))
            .flatMap { try? RunscShimConfig.parse($0).config.runscConfig } ?? [:]
        let configured = flags["platform"]
        let kvm = kvmState(context)
        let ptraceScope = (try? HostFiles.readText("/proc/sys/kernel/yama/ptrace_scope"))?.trimmingWhitespace
        var details = [
            Detail("configured", configured ?? "runsc default (ptrace before 2023, systrap after)"),
            Detail("kvm", kvm.description),
        ]
        if let ptraceScope { details.append(Detail("yama.ptrace_scope", ptraceScope)) }
        let ptraceUsable = ptraceScope != "3"
        switch configured ?? "default" {
        case "kvm":
            return kvm.usable
                ? Result(.ok, "kvm: \(kvm)", details: details)
                : Result(.failed, "kvm is configured but \(kvm)", details: details)
        case "ptrace", "systrap", "default":
            let name = configured ?? "runsc's default platform"
            return ptraceUsable
                ? Result(.ok, "\(name): ptrace is allowed; \(kvm)", details: details)
                : Result(.failed, "\(name) needs ptrace, which yama.ptrace_scope=3 forbids", details: details)
        case let other:
            return Result(.warning, "platform \(other) is not one this doctor knows how to check", details: details)
        }
    }

    struct KVMState: CustomStringConvertible {
        var usable: Bool
        var description: String
    }

    static func kvmState(_ context: Context) -> KVMState {
        let candidates = [context.layout.onHost("/dev/kvm"), "/dev/kvm"]
        guard let path = candidates.first(where: FileSystem.exists) else {
            return KVMState(usable: false, description: "/dev/kvm is absent")
        }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFCHR else {
            return KVMState(usable: false, description: "/dev/kvm is not a character device")
        }
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            return KVMState(
                usable: false, description: "/dev/kvm cannot be opened: \(String(cString: strerror(errno)))")
        }
        close(fd)
        return KVMState(usable: true, description: "/dev/kvm is usable")
    }

    /// From the mount table: cgroup2 at /sys/fs/cgroup is v2; a tmpfs there holds v1 hierarchies.
    public static let cgroups = Check(id: "cgroups", title: "cgroups") { context in
        guard let mounts = try? HostFiles.readText("/proc/self/mounts") else {
            return Result(.warning, "cannot read /proc/self/mounts")
        }
        var types: [String: String] = [:]
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count > 2 { types[String(fields[1])] = String(fields[2]) }
        }
        for root in [context.layout.onHost("/sys/fs/cgroup"), "/sys/fs/cgroup"] {
            switch types[root] {
            case "cgroup2":
                return Result(.info, "cgroup v2 (unified)", details: [Detail("version", "2")])
            case "tmpfs":
                let hybrid = types[root + "/unified"] == "cgroup2"
                return Result(
                    .info, hybrid ? "cgroup v1 (hybrid: v2 at \(root)/unified)" : "cgroup v1",
                    details: [Detail("version", "1"), Detail("hybrid", "\(hybrid)")])
            default:
                continue
            }
        }
        return Result(.warning, "no cgroup file system is mounted at /sys/fs/cgroup")
    }
}
