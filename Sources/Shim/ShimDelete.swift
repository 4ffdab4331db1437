import Glibc
import HostOS
import Runsc
import ShimAPI
import SwiftProtobuf

/// The `delete` action, which containerd runs when it cannot reach the shim (the shim died, or
/// `start` failed): force-delete the container in runsc, unmount its rootfs, and answer a
/// `DeleteResponse` saying it was killed (137), as gVisor's and runc's shims do.
public struct ShimDelete {
    public var flags: ShimFlags
    public var bundle: String

    public init(flags: ShimFlags, bundle: String) {
        self.flags = flags
        self.bundle = bundle
    }

    /// Whether runsc may still hold state for `id` under `root`: containerd runs this action after
    /// every shim exit, even a clean one, and a runsc start-up costs 15-80 ms here, so it is skipped
    /// when the root has no entry naming the container (`<sandbox>_sandbox:<id>.state`, or a
    /// directory `<id>` in older layouts). Unreadable roots count as "may know".
    static func runscMayKnow(id: String, root: String) -> Bool {
        guard !root.isEmpty else { return true }
        let names: [String]
        do { names = try Directory.entries(root) } catch { return !error.isNotFound }
        return names.contains { name in
            name == id || name.hasSuffix(":\(id).state") || name.hasSuffix(":\(id).lock") || name.hasPrefix("\(id)_")
        }
    }

    /// Removes runsc lock files of a dead sandbox: `<container>_sandbox:<sandbox>.lock` without its `.state`, once
    /// the sandbox's own state (`<sandbox>_sandbox:<sandbox>.state`) is gone. When a pod's shim dies, containerd
    /// runs this action for the sandbox and each app container at once; runsc 20221219 then leaves an app
    /// container's lock file behind (its `delete --force` fails once the sandbox is destroyed). Each action
    /// sweeps after its own runsc call, so the last one leaves none. Returns the names removed.
    @discardableResult
    static func removeStaleLocks(root: String, sandboxID: String) -> [String] {
        let suffix = "_sandbox:\(sandboxID).lock"
        guard !root.isEmpty, !FileSystem.exists("\(root)/\(sandboxID)_sandbox:\(sandboxID).state"),
            let names = try? Directory.entries(root)
        else { return [] }
        return names.filter { name in
            guard name.hasSuffix(suffix) else { return false }
            let state = "\(root)/\(name.dropLast(".lock".count)).state"
            return !FileSystem.exists(state) && (try? FileSystem.remove("\(root)/\(name)")) == true
        }
    }

    /// Waits until no process has both `--root=<root>` and `id` among its arguments; false after `timeout`.
    static func waitForRunscProcesses(root: String, id: String, timeout: Duration) async -> Bool {
        guard !root.isEmpty else { return true }
        let deadline = ContinuousClock.now + timeout
        while !runscProcesses(root: root, id: id).isEmpty {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return true
    }

    /// Pids of processes with `--root=<root>` and `id` among their arguments (runsc names its root that way).
    static func runscProcesses(root: String, id: String) -> [pid_t] {
        ((try? Directory.entries("/proc")) ?? []).compactMap { name in
            guard let pid = pid_t(name), pid != getpid(), let cmdline = try? HostFile.read("/proc/\(name)/cmdline"),
                commandLine(cmdline, names: root, id: id)
            else { return nil }
            return pid
        }
    }

    /// Whether a NUL-separated command line has the arguments `--root=<root>` and `id`.
    static func commandLine(_ cmdline: [UInt8], names root: String, id: String) -> Bool {
        let arguments = cmdline.split(separator: 0, omittingEmptySubsequences: true)
        let rootArgument = Array("--root=\(root)".utf8)
        let idArgument = Array(id.utf8)
        return arguments.contains(where: { $0.elementsEqual(rootArgument) })
            && arguments.contains(where: { $0.elementsEqual(idArgument) })
    }

    public func run(log: ShimLog) async -> [UInt8] {
        if let state = ShimState.read(from: bundle), Self.runscMayKnow(id: flags.id, root: state.runscRoot) {
            let client = RunscClient(runsc: state.runsc)
            do {
                try await client.delete(id: flags.id, options: DeleteOptions(force: true))
            } catch let error as RunscError where error.isNotFound {
                // Nothing left in runsc.
            } catch {
                log.warning("runsc delete --force failed", [("id", flags.id), ("error", "\(error)")])
            }
            // The dead daemon's `runsc wait`/`exec` children outlive it and may re-create lock files; they end
            // once the sandbox is gone.
            if !(await Self.waitForRunscProcesses(root: state.runscRoot, id: flags.id, timeout: .seconds(3))) {
                log.warning("runsc processes of the container still run", [("id", flags.id)])
            }
            var sandboxID = flags.id
            if case .found(let spec) = SpecAnnotations.read(bundle: bundle), let id = spec.sandboxID { sandboxID = id }
            let removed = Self.removeStaleLocks(root: state.runscRoot, sandboxID: sandboxID)
            if !removed.isEmpty { log.info("removed stale runsc locks", [("id", flags.id), ("files", "\(removed)")]) }
        }
        do { try Mount.unmountAll("\(bundle)/rootfs") } catch {
            log.warning("unmounting the rootfs failed", [("id", flags.id), ("error", "\(error)")])
        }
        // The dead daemon left its socket behind; containers of a pod share it only while it lives.
        if let address = try? HostFile.read("\(bundle)/address") {
            let path = SocketAddress(parsing: String(decoding: address, as: UTF8.self)).path
            if UnixSocket.probe(path: path) == nil { unlink(path) }
        }
        var response = Containerd_Task_V2_DeleteResponse()
        response.exitStatus = 128 + UInt32(SIGKILL)
        response.exitedAt = .now()
        return (try? response.serializedBytes()) ?? []
    }
}
