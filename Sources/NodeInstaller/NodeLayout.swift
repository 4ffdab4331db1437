/// Where things are on the node. Host paths (`binDirectory`, `containerdConfig`, ...) are what containerd
/// sees; this process reaches them under ``hostRoot`` (the DaemonSet mounts the host's `/` at `/var/host`).
public struct NodeLayout: Sendable, Hashable {
    public static let defaultHostRoot = "/var/host"
    public static let defaultContent = "/var/content"
    /// Gardener's `ContainerDRuntimeContainersBinFolder`; gardener-node-agent puts it on containerd's PATH.
    public static let defaultBinDirectory = "/var/bin/containerruntimes"
    public static let shimName = "containerd-shim-runsc-v1"
    public static let runscName = "runsc"
    /// Sidecar binaries newer gVisor releases expect in a directory of this name next to runsc.
    public static let helperDirectory = "gvisor-bin"

    /// This process's path of the host's `/`.
    public var hostRoot: String
    /// This process's path of the image content (`runsc`, the shim, optional `gvisor-bin/`).
    public var content: String
    public var binDirectory: String
    public var containerdConfig: String
    public var runscTOML: String

    public init(
        hostRoot: String = defaultHostRoot, content: String = defaultContent,
        binDirectory: String = defaultBinDirectory, containerdConfig: String = "/etc/containerd/config.toml",
        runscTOML: String = RuntimeHandler.configPath
    ) {
        self.hostRoot = hostRoot
        self.content = content
        self.binDirectory = binDirectory
        self.containerdConfig = containerdConfig
        self.runscTOML = runscTOML
    }

    /// This process's path of a host path.
    public func onHost(_ hostPath: String) -> String {
        let root = hostRoot.hasSuffix("/") ? String(hostRoot.dropLast()) : hostRoot
        return root + (hostPath.hasPrefix("/") ? hostPath : "/" + hostPath)
    }

    /// The default restart command for this host root.
    public var defaultRestartCommand: String { "chroot \(hostRoot) systemctl restart containerd" }

    /// The installed binaries, as host paths: runsc and the shim.
    var binaries: [String] { [Self.runscName, Self.shimName] }
}
