/// Which GPU requests in a spec count, as the operator set it in runsc.toml: the NVIDIA container toolkit's
/// `accept-nvidia-visible-devices-envvar-when-unprivileged` and `accept-nvidia-visible-devices-as-volume-mounts`
/// under the same names.
///
/// Why: `NVIDIA_VISIBLE_DEVICES` is written by whoever builds the image or the pod, so counting it for an
/// unprivileged container lets a pod pick GPUs the device plugin gave to someone else. The toolkit therefore
/// honours it only for privileged containers unless told otherwise; here the default is stricter than the
/// toolkit's (which accepts it), because nvproxy exposes whatever the shim writes into `linux.devices`.
public struct GPURequestPolicy: Sendable, Hashable {
    /// `NVIDIA_VISIBLE_DEVICES` counts for containers without `CAP_SYS_ADMIN` in their bounding set.
    public var acceptEnvironmentWhenUnprivileged: Bool
    /// Mounts of `/dev/null` at `/var/run/nvidia-container-devices/<id>` (the device plugin's `volume-mounts`
    /// strategy) count as a request; mounts with any other source never do.
    public var acceptVolumeMounts: Bool

    public init(acceptEnvironmentWhenUnprivileged: Bool = false, acceptVolumeMounts: Bool = false) {
        self.acceptEnvironmentWhenUnprivileged = acceptEnvironmentWhenUnprivileged
        self.acceptVolumeMounts = acceptVolumeMounts
    }

    /// runsc.toml keys, spelled as in the toolkit's config.toml.
    public static let environmentKey = "accept-nvidia-visible-devices-envvar-when-unprivileged"
    public static let volumeMountsKey = "accept-nvidia-visible-devices-as-volume-mounts"

    /// The only mount source the toolkit reads a volume-mount request from.
    public static let volumeMountSource = "/dev/null"
}
