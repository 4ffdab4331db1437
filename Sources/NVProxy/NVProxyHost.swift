/// Where discovery looks: the host's `/dev`, `/proc` and `/sys`, movable so tests (and `gvisor-node` running in a
/// DaemonSet with the host root at `/var/host`) can point elsewhere.
public struct NVProxyHost: Sendable, Hashable {
    /// Device nodes (`/dev`).
    public var deviceRoot: String
    /// procfs (`/proc`): `devices`, `driver/nvidia/version`, `driver/nvidia/gpus/*/information`.
    public var procRoot: String
    /// sysfs (`/sys`): `module/nvidia/version` when procfs has no version file.
    public var sysRoot: String

    public init(deviceRoot: String = "/dev", procRoot: String = "/proc", sysRoot: String = "/sys") {
        self.deviceRoot = deviceRoot
        self.procRoot = procRoot
        self.sysRoot = sysRoot
    }

    /// The host as seen from a container that mounts the host's root file system at `root`.
    public init(hostRoot root: String) {
        let base = root.hasSuffix("/") ? String(root.dropLast()) : root
        self.init(deviceRoot: base + "/dev", procRoot: base + "/proc", sysRoot: base + "/sys")
    }
}
