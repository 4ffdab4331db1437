import Checksum

/// Where a shim listens: `unix:///run/containerd/s/<sha256(address/namespace/key)>`, computed
/// exactly as containerd's shim library does so that containerd, our `start` and our `delete`
/// agree on the path (and so that containers of one pod find the shim already listening).
public struct SocketAddress: Equatable, Sendable, CustomStringConvertible {
    /// containerd 1.6's fixed socket directory.
    public static let defaultDirectory = "/run/containerd/s"

    /// The filesystem path of the socket.
    public let path: String

    public init(path: String) { self.path = path }

    /// The address for a shim serving `key` (a container id, or a pod's sandbox id when grouping).
    public init(containerdAddress: String, namespace: String, key: String, directory: String = defaultDirectory) {
        let joined = SocketAddress.cleanPath([containerdAddress, namespace, key].joined(separator: "/"))
        path = "\(directory)/\(SHA256.hex(joined))"
    }

    /// Parses `unix:///path` or a bare path.
    public init(parsing address: String) {
        path = address.hasPrefix("unix://") ? String(address.dropFirst("unix://".count)) : address
    }

    /// The form containerd reads from `start`'s output and the bundle's `address` file.
    public var description: String { "unix://\(path)" }

    /// Go's `filepath.Clean`, which containerd applies through `filepath.Join`.
    static func cleanPath(_ path: String) -> String {
        guard !path.isEmpty else { return "." }
        let rooted = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                if let last = parts.last, last != ".." {
                    parts.removeLast()
                } else if !rooted {
                    parts.append(part)
                }
            default: parts.append(part)
            }
        }
        let body = parts.joined(separator: "/")
        if rooted { return "/" + body }
        return body.isEmpty ? "." : body
    }
}
