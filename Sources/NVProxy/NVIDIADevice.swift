/// A host NVIDIA character device node, as the OCI spec's `linux.devices` needs it.
public struct NVIDIADevice: Sendable, Hashable {
    /// What the node is for, which decides whether nvproxy can pass it through.
    public enum Kind: Sendable, Hashable {
        /// `/dev/nvidiactl` (195:255).
        case control
        /// `/dev/nvidia-uvm` (dynamic major, minor 0).
        case uvm
        /// `/dev/nvidiaN` (195:N); the GPU's index is its minor number.
        case gpu(index: UInt32)
        /// A node gVisor does not expose: `nvidia-modeset`, `nvidia-uvm-tools`, `nvidia-caps/*`, `nvidia-drm`, ...
        case unsupported
    }

    public var kind: Kind
    /// Path inside a container (`/dev/nvidia0`); the same as the host path relative to the device root.
    public var containerPath: String
    /// Path on this host (under the configured device root).
    public var hostPath: String
    public var major: UInt32
    public var minor: UInt32
    /// Permission bits (`0o666`), without the file type.
    public var fileMode: UInt32
    public var uid: UInt32
    public var gid: UInt32

    public init(
        kind: Kind, containerPath: String, hostPath: String, major: UInt32, minor: UInt32, fileMode: UInt32,
        uid: UInt32 = 0, gid: UInt32 = 0
    ) {
        self.kind = kind
        self.containerPath = containerPath
        self.hostPath = hostPath
        self.major = major
        self.minor = minor
        self.fileMode = fileMode
        self.uid = uid
        self.gid = gid
    }

    /// The major number of `/dev/nvidiactl` and `/dev/nvidiaN` (`NV_MAJOR_DEVICE_NUMBER`).
    public static let nvidiaMajor: UInt32 = 195
    /// The minor number of `/dev/nvidiactl` (`NV_MINOR_DEVICE_NUMBER_CONTROL_DEVICE`).
    public static let controlMinor: UInt32 = 255
    /// The highest minor of a GPU node (`NV_MINOR_DEVICE_NUMBER_REGULAR_MAX`); 254 is `nvidia-modeset`.
    public static let maxGPUMinor: UInt32 = 247
}
