import TTRPC

/// ttrpc metadata conventions of containerd.
public enum ContainerdMetadata {
    /// The key containerd puts the namespace under (`namespaces.TTRPCHeader`).
    public static let namespaceKey = "containerd-namespace-ttrpc"

    /// Metadata naming `namespace`, as containerd sends it.
    public static func namespace(_ namespace: String) -> TTRPCMetadata {
        [namespaceKey: namespace]
    }
}

extension TTRPCRequestContext {
    /// The containerd namespace the caller sent, if any.
    ///
    /// The shim's `-namespace` flag stays authoritative, as in containerd's shim library; this is for checks and logs.
    public var containerdNamespace: String? {
        metadata(ContainerdMetadata.namespaceKey)
    }
}
