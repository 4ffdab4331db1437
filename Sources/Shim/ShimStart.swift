import FoundationEssentials
import GVisorConfig
import Glibc
import HostOS
import ShimAPI
import SwiftProtobuf

/// The `start` action: find or create the socket of the shim that serves this container (one per
/// pod), launch the daemon on it if needed, and tell containerd the address in the form its
/// version understands. containerd reads our combined stdout/stderr to the end, so the daemon is
/// detached from both and nothing but the answer is printed.
public struct ShimStart {
    public var flags: ShimFlags
    /// The bundle directory (containerd runs `start` with it as the working directory).
    public var bundle: String
    /// What containerd wrote to stdin: the runtime options `Any` (1.6-2.2) or `BootstrapParams` (2.3+).
    public var stdin: [UInt8]
    public var environment: [String: String]
    /// Where shim sockets live; containerd 1.6 fixes it to /run/containerd/s.
    public var socketDirectory = SocketAddress.defaultDirectory

    public init(flags: ShimFlags, bundle: String, stdin: [UInt8], environment: [String: String]) {
        self.flags = flags
        self.bundle = bundle
        self.stdin = stdin
        self.environment = environment
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs the action and returns the bytes to print on stdout.
    public func run(spawnDaemon: (ShimFlags, CInt) throws -> pid_t) throws -> [UInt8] {
        guard !flags.namespace.isEmpty else { throw Failure(description: "shim namespace cannot be empty") }
        guard !flags.id.isEmpty else { throw Failure(description: "shim id cannot be empty") }
        guard !flags.address.isEmpty else { throw Failure(description: "containerd address (-address) is required") }

        let key = try groupingKey()
        let address = SocketAddress(
            containerdAddress: flags.address, namespace: flags.namespace, key: key, directory: socketDirectory)
        let files = BundleFiles(directory: bundle)
        var daemonFlags = flags
        daemonFlags.action = nil
        daemonFlags.bundle = bundle

        let shimPID: pid_t
        switch try listenOrReuse(address) {
        case .existing(let pid):
            shimPID = pid
        case .bound(let fd):
            defer { close(fd) }
            do {
                shimPID = try spawnDaemon(daemonFlags, fd)
            } catch {
                unlink(address.path)
                throw error
            }
            // Before Create can start runsc: runc-v2 joins the options' ShimCgroup here and fails `start` if it cannot.
            if let cgroup = RuntimeOptions.fromStartInput(stdin)?.shimCgroup {
                do { try ShimCgroup.join(pid: shimPID, path: cgroup) } catch {
                    kill(shimPID, SIGKILL)
                    unlink(address.path)
                    throw Failure(description: "\(error)")
                }
            }
        }
        try Self.replace(files.path("address"), with: address.description)
        try Self.replace(files.path("shim.pid"), with: String(shimPID))
        return answer(address: address)
    }

    /// Replaces `path` by a new file renamed into place without an fsync (``HostFile/writeAtomically(_:to:mode:durable:)``):
    /// containerd must never read half an `address`, but these two files name a socket and a process that do not
    /// outlive the machine, in containerd's state directory (tmpfs under /run on a node). Measured: the two fsyncs
    /// were 8-38 ms of `start` on a disk-backed state directory (issue 21), on containerd's path to Create.
    static func replace(_ path: String, with contents: String) throws(FileSystemError) {
        try HostFile.writeAtomically(contents, to: path, mode: 0o644, durable: false)
    }

    enum Listener {
        case bound(CInt)
        case existing(pid_t)
    }

    /// Binds the socket; on EADDRINUSE reuses a shim that answers there, or replaces a stale socket.
    func listenOrReuse(_ address: SocketAddress) throws -> Listener {
        var lastError: SystemError?
        for _ in 0..<2 {
            let result = Result { () throws(SystemError) -> CInt in try UnixSocket.listen(path: address.path) }
            switch result {
            case .success(let fd):
                return .bound(fd)
            case .failure(let error) where error.errno == EADDRINUSE:
                if let pid = UnixSocket.probe(path: address.path) { return .existing(pid) }
                unlink(address.path)
                lastError = error
            case .failure(let error):
                throw error
            }
        }
        throw lastError ?? SystemError(operation: "bind \(address.path)", errno: EADDRINUSE)
    }

    /// One shim per pod: containers of a CRI pod share the shim of its sandbox.
    func groupingKey() throws -> String {
        switch SpecAnnotations.read(bundle: bundle) {
        case .missing: return flags.id
        case .invalid(let message): throw Failure(description: message)
        case .found(let spec): return spec.sandboxID ?? flags.id
        }
    }

    /// The bare address for containerd 1.6, JSON for 1.7-2.2 (which set MAX_SHIM_VERSION), and a
    /// protobuf BootstrapResult when containerd 2.3+ sent BootstrapParams for this very shim.
    func answer(address: SocketAddress) -> [UInt8] {
        if let params = try? Containerd_Runtime_Bootstrap_V1_BootstrapParams(serializedBytes: stdin),
            params.instanceID == flags.id, params.namespace == flags.namespace
        {
            var result = Containerd_Runtime_Bootstrap_V1_BootstrapResult()
            result.version = 2
            result.address = address.description
            result.protocol = "ttrpc"
            if let bytes: [UInt8] = try? result.serializedBytes() { return bytes }
        }
        if environment["MAX_SHIM_VERSION"] != nil {
            let json = #"{"version":2,"address":"\#(address.description)","protocol":"ttrpc"}"#
            return Array(json.utf8)
        }
        return Array(address.description.utf8)
    }
}

/// CRI annotation keys the shim reads (containerd's and CRI-O's spellings).
public enum CRIAnnotations {
    public static let containerType = "io.kubernetes.cri.container-type"
    public static let sandboxID = "io.kubernetes.cri.sandbox-id"
    public static let sandboxLogDirectory = "io.kubernetes.cri.sandbox-log-directory"
    public static let crioContainerType = "io.kubernetes.cri-o.ContainerType"
    public static let crioSandboxID = "io.kubernetes.cri-o.SandboxID"
}

/// The part of a bundle's OCI spec the shim reads before runsc does: its CRI annotations and root path.
struct SpecAnnotations: Decodable {
    var annotations: [String: String]?
    var root: Root?

    struct Root: Decodable {
        var path: String?
    }

    enum ReadResult {
        case found(SpecAnnotations)
        case missing
        /// The message names the file and what is wrong with it.
        case invalid(String)
    }

    static func read(bundle: String) -> ReadResult {
        guard let bytes = try? HostFile.read("\(bundle)/config.json") else { return .missing }
        do {
            return .found(try JSONDecoder().decode(SpecAnnotations.self, from: Data(bytes)))
        } catch {
            return .invalid("\(bundle)/config.json: not a valid OCI runtime spec: \(error)")
        }
    }

    /// The pod's sandbox id (containerd's or CRI-O's spelling), for app containers and the sandbox.
    var sandboxID: String? {
        annotations?[CRIAnnotations.sandboxID] ?? annotations?[CRIAnnotations.crioSandboxID]
    }

    /// The container type CRI (or CRI-O) set: `sandbox` or `container`; nil outside a pod.
    var criContainerType: String? {
        annotations?[CRIAnnotations.containerType] ?? annotations?[CRIAnnotations.crioContainerType]
    }

    /// A pod's sandbox or app container, whose spec gets the pod rewrites.
    var isCRI: Bool { criContainerType == "sandbox" || criContainerType == "container" }

    /// A CRI app container joins its pod's running sandbox instead of booting one.
    var isSubcontainer: Bool { criContainerType == "container" }
}
