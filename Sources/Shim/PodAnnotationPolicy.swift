import OCI

/// The `dev.gvisor.*` annotations a pod may set. The installer lets containerd forward every `dev.gvisor.*` pod
/// annotation (mount hints need that), so without this a pod could move its sandbox out of its cgroup
/// (`dev.gvisor.spec.cgroup-parent`), pick a platform (`dev.gvisor.bundle.*`), turn on nvproxy
/// (`dev.gvisor.internal.nvproxy`) or point mounts elsewhere (`dev.gvisor.spec.rootfs.*`, hint `source`s).
///
/// Like runsc's own `overrideAllowlist` for `dev.gvisor.flag.*` (flags container authors may set because they
/// cannot make the sandbox less secure), this is an allow-list: anything else under `dev.gvisor.` is refused.
public enum PodAnnotationPolicy {
    public static let prefix = "dev.gvisor."
    static let flagPrefix = "dev.gvisor.flag."

    /// runsc's `overrideAllowlist` (runsc/config/flags.go, 2024 and newer releases); `oci-seccomp` only on, and
    /// `overlay2` only with a `memory` or `self` medium, as runsc checks them.
    public static let flags: Set<String> = [
        "debug", "debug-command", "debug-to-user-log", "strace", "strace-syscalls", "strace-log-size", "host-uds",
        "net-disconnect-ok", "reproduce-nftables", "overlay2", "oci-seccomp", "pause-external-networking",
        "allow-connected-on-save", "qdisc", "qdisc-tbf-rate", "qdisc-tbf-burst", "mount-cgroupv2",
    ]

    /// Mount hint fields a pod describes its own volumes with (`dev.gvisor.spec.mount.<volume>.<field>`); the
    /// `source` is the shim's to fill in from the kubelet's volume directory.
    public static let mountHintFields: Set<String> = ["type", "share", "options", "directfs"]

    /// Why a pod may not set `key` to `value`, or nil when it may.
    public static func refusal(key: String, value: String) -> String? {
        guard key.hasPrefix(prefix) else { return nil }
        if key.hasPrefix(flagPrefix) {
            let flag = String(key.dropFirst(flagPrefix.count))
            guard flags.contains(flag) else {
                return "runsc flag \(flag) is not one pods may set (allowed: \(flags.sorted().joined(separator: ", ")))"
            }
            if flag == "oci-seccomp", !["1", "t", "T", "TRUE", "true", "True"].contains(value) {
                return "pods may turn oci-seccomp on, not off"
            }
            if flag == "overlay2", value != "none", !(value.hasSuffix(":memory") || value.hasSuffix(":self")) {
                return "pods may choose only the memory or self overlay medium"
            }
            return nil
        }
        if key.hasPrefix(PodSpecRewrite.mountHintPrefix) {
            let rest = key.dropFirst(PodSpecRewrite.mountHintPrefix.count).split(
                separator: ".", omittingEmptySubsequences: false)
            guard rest.count == 2, !rest[0].isEmpty else {
                return "not a mount hint (dev.gvisor.spec.mount.<volume>.<field>)"
            }
            guard rest[0] != PodSpecRewrite.devShmVolume else { return "the volume name is the shim's own" }
            guard mountHintFields.contains(String(rest[1])) else {
                return rest[1] == "source"
                    ? "the shim sets a hint's source to the kubelet's volume directory"
                    : "mount hint field \(rest[1]) is not one pods may set (allowed: \(mountHintFields.sorted().joined(separator: ", ")))"
            }
            return nil
        }
        if key.hasPrefix(PodSpecRewrite.emptyDirPrefix), key.hasSuffix(".force-shared") { return nil }
        if key == PodSpecRewrite.cgroupParent {
            return "it moves the sandbox out of the pod's cgroup; the shim sets it from linux.cgroupsPath"
        }
        return "pods may set only dev.gvisor.flag.<\(flags.count) runsc-allowed flags>, "
            + "dev.gvisor.spec.mount.<volume>.{\(mountHintFields.sorted().joined(separator: ","))} and "
            + "dev.gvisor.empty-dir.<volume>.force-shared"
    }

    /// The first refused annotation of `annotations`, by key order.
    public static func firstRefusal(in annotations: [String: JSONValue]) -> (key: String, reason: String)? {
        for key in annotations.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        where key.hasPrefix(prefix) {
            if let reason = refusal(key: key, value: annotations[key]?.stringValue ?? "") { return (key, reason) }
        }
        return nil
    }
}
