import Glibc
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
        guard let directory = opendir(root) else { return errno != ENOENT }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == id || name.hasSuffix(":\(id).state") || name.hasSuffix(":\(id).lock") || name.hasPrefix("\(id)_")
            {
                return true
            }
        }
        return false
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
        }
        do { try Mount.unmountAll("\(bundle)/rootfs") } catch {
            log.warning("unmounting the rootfs failed", [("id", flags.id), ("error", "\(error)")])
        }
        // The dead daemon left its socket behind; containers of a pod share it only while it lives.
        if let address = readFile("\(bundle)/address") {
            let path = SocketAddress(parsing: String(decoding: address, as: UTF8.self)).path
            if UnixSocket.probe(path: path) == nil { unlink(path) }
        }
        var response = Containerd_Task_V2_DeleteResponse()
        response.exitStatus = 128 + UInt32(SIGKILL)
        response.exitedAt = .now()
        return (try? response.serializedBytes()) ?? []
    }
}
