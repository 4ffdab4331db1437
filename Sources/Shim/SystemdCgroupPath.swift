/// A `linux.cgroupsPath` in systemd's `slice:prefix:name` form, which containerd writes when the kubelet's cgroup
/// parent is a slice (the `systemd` cgroup driver): `kubepods-burstable-pod<uid>.slice:cri-containerd:<id>`.
///
/// Why: runsc without `--systemd-cgroup` takes such a path as a cgroupfs directory name at the hierarchy's root,
/// which puts the sandbox outside the pod's slice and its limits. The shim turns it into the directories
/// systemd (and runc) use, following runc's `ExpandSlice` and unit naming.
public struct SystemdCgroupPath: Sendable, Hashable {
    public var slice: String
    public var prefix: String
    public var name: String

    /// nil unless `path` has exactly three `:`-separated parts (runsc's `LikelySystemdPath`).
    public init?(_ path: String) {
        let parts = path.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        slice = parts[0].isEmpty ? "system.slice" : String(parts[0])  // runsc's TransformSystemdPath default
        prefix = String(parts[1])
        name = String(parts[2])
    }

    public struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// The slice's cgroupfs directory: each `-` in the name is a parent slice, so `kubepods-burstable-podX.slice`
    /// is `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podX.slice` (runc's `ExpandSlice`).
    public func sliceDirectory() throws(Invalid) -> String {
        let suffix = ".slice"
        guard slice.hasSuffix(suffix), slice.count > suffix.count, !slice.contains("/") else {
            throw Invalid(description: "\"\(slice)\" is not a systemd slice name (<name>.slice, no \"/\")")
        }
        let base = slice.dropLast(suffix.count)
        if base == "-" { return "/" }
        var path = ""
        var parents = ""
        for component in base.split(separator: "-", omittingEmptySubsequences: false) {
            guard !component.isEmpty else {
                throw Invalid(description: "\"\(slice)\" is not a systemd slice name (empty component)")
            }
            path += "/" + parents + component + suffix
            parents += component + "-"
        }
        return path
    }

    /// The unit's cgroupfs directory: `<slice directory>/<prefix>-<name>.scope`, or `<name>` when it is itself a
    /// slice (runc's unit naming).
    public func unitDirectory() throws(Invalid) -> String {
        guard !name.isEmpty, !name.contains("/"), !prefix.contains("/") else {
            throw Invalid(description: "\"\(prefix):\(name)\" is not a systemd unit name")
        }
        let unit = name.hasSuffix(".slice") ? name : "\(prefix)-\(name).scope"
        let parent = try sliceDirectory()
        return (parent == "/" ? "" : parent) + "/" + unit
    }
}
