import Glibc
import HostOS
import OCI

/// The changes gVisor's Go shim makes to a CRI container's `config.json` before `runsc create`, so that
/// pods behave the same with this shim: the sandbox joins the pod's cgroup, `/dev/shm` is one tmpfs shared
/// by the pod, and volume mount hints (`dev.gvisor.spec.mount.<name>.*`) name the kubelet's volume
/// directories. Non-CRI specs are left alone.
///
/// Why: runsc reads pod-wide hints only from the sandbox's spec and matches app containers' mounts to
/// them by source; without the rewrite, every container would get its own gofer-backed copy of shared
/// volumes, and glibc's `shm_open` would not treat a bind-mounted `/dev/shm` as shared memory.
public struct PodSpecRewrite: Sendable {
    /// Where the kubelet keeps pod volumes (`<dir>/<pod-uid>/volumes/<plugin>/<name>`).
    public var kubeletPodsDirectory: String
    /// runsc runs with `--systemd-cgroup` (`[runsc_config] systemd-cgroup = true`): it places systemd-style
    /// `cgroupsPath`s itself, through systemd, inside their slice.
    public var runscSystemdCgroup: Bool

    public init(kubeletPodsDirectory: String = Self.defaultKubeletPodsDirectory, runscSystemdCgroup: Bool = false) {
        self.kubeletPodsDirectory = kubeletPodsDirectory
        self.runscSystemdCgroup = runscSystemdCgroup
    }

    public static let defaultKubeletPodsDirectory = "/var/lib/kubelet/pods"
    static let cgroupParent = "dev.gvisor.spec.cgroup-parent"
    static let mountHintPrefix = "dev.gvisor.spec.mount."
    static let devShmVolume = "gvisorinternaldevshm"
    static let emptyDirPlugin = "kubernetes.io~empty-dir"
    static let emptyDirPrefix = "dev.gvisor.empty-dir."

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
        /// The pod annotation ``PodAnnotationPolicy`` refused, when that is the failure.
        public var refusedAnnotation: String? = nil
    }

    /// What changed, one line each, for the shim's log.
    public typealias Changes = [String]

    /// Rewrites `spec` in place; throws when a volume hint names a volume the kubelet does not have.
    public func apply(to spec: inout JSONValue) throws(Failure) -> Changes {
        guard case .object = spec, let annotations = spec["annotations"]?.objectValue else { return [] }
        let type = (annotations[CRIAnnotations.containerType] ?? annotations[CRIAnnotations.crioContainerType])?
            .stringValue
        guard type == "sandbox" || type == "container" else { return [] }
        let isSandbox = type == "sandbox"
        // Every dev.gvisor.* annotation here came from the pod (containerd forwards them); the shim adds its own
        // below, after this check.
        if let (key, reason) = PodAnnotationPolicy.firstRefusal(in: annotations) {
            throw Failure(description: "pod annotation \(key) is refused: \(reason)", refusedAnnotation: key)
        }
        var changes: Changes = []
        changes += try placeInPodCgroup(&spec, isSandbox: isSandbox)
        if let change = configureShm(&spec, isSandbox: isSandbox) { changes.append(change) }
        changes += try updateVolumeHints(&spec, isSandbox: isSandbox)
        return changes
    }

    /// The sandbox runs in the pod's cgroup, not the pause container's, so pod-level limits and accounting cover
    /// everything the sandbox does. A systemd-style path (`<pod slice>:cri-containerd:<id>`) becomes the
    /// cgroupfs directories systemd uses, for every container, unless runsc places it through systemd itself.
    func placeInPodCgroup(_ spec: inout JSONValue, isSandbox: Bool) throws(Failure) -> Changes {
        guard let path = spec["linux"]?["cgroupsPath"]?.stringValue, !path.isEmpty else { return [] }
        guard let systemd = SystemdCgroupPath(path) else {
            return isSandbox ? setPodCgroup(&spec, path: path).map { [$0] } ?? [] : []
        }
        // runsc --systemd-cgroup makes <prefix>-<name>.scope inside the slice, which is the pod's.
        guard !runscSystemdCgroup else { return [] }
        let unit: String
        do { unit = try systemd.unitDirectory() } catch {
            throw Failure(description: "linux.cgroupsPath \(path): \(error)")
        }
        var linux = spec["linux"]?.objectValue ?? [:]
        linux["cgroupsPath"] = .string(unit)
        spec["linux"] = .object(linux)
        var changes = ["cgroupsPath \(path) is \(unit) (systemd slice \(systemd.slice))"]
        if isSandbox, let change = setPodCgroup(&spec, path: unit) { changes.append(change) }
        return changes
    }

    /// The sandbox's cgroup parent: the last `pod*` component of a cgroupfs path (for systemd slices,
    /// `kubepods-<class>-pod<uid>.slice`).
    func setPodCgroup(_ spec: inout JSONValue, path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard let index = parts.lastIndex(where: { $0.hasPrefix("pod") || Self.isPodSlice($0) }) else { return nil }
        let parent = parts[...index].joined(separator: "/")
        guard parent != path else { return nil }
        setAnnotation(&spec, Self.cgroupParent, parent)
        return "sandbox cgroup parent \(parent)"
    }

    /// `kubepods-pod<uid>.slice`, `kubepods-burstable-pod<uid>.slice`: the kubelet's pod slices.
    static func isPodSlice(_ component: Substring) -> Bool {
        component.hasSuffix(".slice") && component.split(separator: "-").last?.hasPrefix("pod") == true
    }

    /// A bind-mounted `/dev/shm` (CRI's per-pod shm directory) becomes tmpfs; on the sandbox an internal
    /// pod-shared mount hint makes every container of the pod mount that same tmpfs.
    func configureShm(_ spec: inout JSONValue, isSandbox: Bool) -> String? {
        guard var mounts = spec["mounts"]?.arrayValue else { return nil }
        func isShm(_ mount: JSONValue, type: String) -> Bool {
            mount["destination"]?.stringValue == "/dev/shm" && mount["type"]?.stringValue == type
        }
        guard let bind = mounts.firstIndex(where: { isShm($0, type: "bind") }) else { return nil }
        let source = mounts[bind]["source"]?.stringValue ?? ""
        mounts[bind] = Self.asTmpfs(mounts[bind])
        // A tmpfs /dev/shm listed as well would hide the shared one.
        if let duplicate = mounts.firstIndex(where: { isShm($0, type: "tmpfs") }), duplicate != bind {
            mounts.remove(at: duplicate)
        }
        spec["mounts"] = .array(mounts)
        guard isSandbox else { return "/dev/shm joins the pod's shared tmpfs" }
        let key = Self.mountHintPrefix + Self.devShmVolume
        setAnnotation(&spec, key + ".source", source)
        setAnnotation(&spec, key + ".type", "tmpfs")
        setAnnotation(&spec, key + ".share", "pod")
        // Containers narrow this with their own mount options; the pod-wide mount must allow them all.
        setAnnotation(&spec, key + ".options", "rw")
        return "/dev/shm is a pod-shared tmpfs (source \(source))"
    }

    /// Mount hints come from pod annotations (containerd passes `dev.gvisor.*` to every container of the
    /// pod). On the sandbox each hinted volume gets its kubelet directory as `source` (emptyDirs become
    /// tmpfs unless shared with the host); on app containers, mounts of a hinted volume take the hint's type.
    func updateVolumeHints(_ spec: inout JSONValue, isSandbox: Bool) throws(Failure) -> Changes {
        let annotations = spec["annotations"]?.objectValue ?? [:]
        let volumes = annotations.keys.compactMap { key -> String? in
            guard key.hasPrefix(Self.mountHintPrefix), key.hasSuffix(".type") else { return nil }
            let name = String(key.dropFirst(Self.mountHintPrefix.count).dropLast(".type".count))
            return name.isEmpty || name == Self.devShmVolume || name.contains("/") ? nil : name
        }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        guard !volumes.isEmpty else { return [] }
        var changes: Changes = []
        if isSandbox {
            guard let uid = podUID(annotations) else {
                // Without the log directory there is no pod UID (containerd before 1.2); hints stay as given.
                return ["mount hints left as given: no \(CRIAnnotations.sandboxLogDirectory) annotation"]
            }
            for volume in volumes {
                let path = try volumePath(volume, uid: uid)
                let typeKey = Self.mountHintPrefix + volume + ".type"
                setAnnotation(&spec, Self.mountHintPrefix + volume + ".source", path)
                if let type = emptyDirType(volume, path: path, annotations: annotations) {
                    setAnnotation(&spec, typeKey, type)
                    if type == "bind" {
                        // Data written by the host (or kept for it) must stay visible: share the directory.
                        setAnnotation(&spec, Self.mountHintPrefix + volume + ".share", "shared")
                        if volume == "gke-gcsfuse-tmp" { setAnnotation(&spec, "dev.gvisor.flag.host-uds", "open") }
                    }
                }
                changes.append(
                    "volume \(volume): source \(path), type \(spec["annotations"]?[typeKey]?.stringValue ?? "")")
            }
            return changes
        }
        guard var mounts = spec["mounts"]?.arrayValue else { return [] }
        for volume in volumes {
            guard let hinted = annotations[Self.mountHintPrefix + volume + ".type"]?.stringValue else { continue }
            for index in mounts.indices where isVolumeDirectory(mounts[index]["source"]?.stringValue, volume) {
                // The sandbox's decision for an emptyDir, made again from the same facts.
                let source = mounts[index]["source"]?.stringValue ?? ""
                let type = emptyDirType(volume, path: source, annotations: annotations) ?? hinted
                mounts[index] = type == "tmpfs" ? Self.asTmpfs(mounts[index]) : mounts[index]
                mounts[index]["type"] = .string(type)
                changes.append("volume \(volume): mount \(mounts[index]["destination"]?.stringValue ?? "") is \(type)")
            }
        }
        if !changes.isEmpty { spec["mounts"] = .array(mounts) }
        return changes
    }

    /// An emptyDir is a tmpfs inside the sandbox unless it must be shared with the host: forced by
    /// `dev.gvisor.empty-dir.<name>.force-shared=true`, or already holding data. nil for other volumes.
    func emptyDirType(_ volume: String, path: String, annotations: [String: JSONValue]) -> String? {
        guard path.contains("/\(Self.emptyDirPlugin)/") else { return nil }
        let force = annotations["\(Self.emptyDirPrefix)\(volume).force-shared"]?.stringValue == "true"
        return force || !((try? Directory.entries(path)) ?? []).isEmpty ? "bind" : "tmpfs"
    }

    /// The pod UID from the sandbox's log directory, which the kubelet names `<namespace>_<name>_<uid>`
    /// (older kubelets: `<uid>`).
    func podUID(_ annotations: [String: JSONValue]) -> String? {
        guard let directory = annotations[CRIAnnotations.sandboxLogDirectory]?.stringValue else { return nil }
        guard let base = directory.split(separator: "/").last, !base.isEmpty else { return nil }
        let parts = base.split(separator: "_", omittingEmptySubsequences: false)
        let uid = parts.count == 3 ? parts[2] : base
        return uid.isEmpty ? nil : String(uid)
    }

    /// The one directory `<pods>/<uid>/volumes/*/<volume>`.
    func volumePath(_ volume: String, uid: String) throws(Failure) -> String {
        let volumes = "\(kubeletPodsDirectory)/\(uid)/volumes"
        var matches: [String] = []
        for plugin in (try? Directory.entries(volumes)) ?? [] {
            let candidate = "\(volumes)/\(plugin)/\(volume)"
            if FileSystem.isDirectory(candidate) { matches.append(candidate) }
        }
        guard matches.count == 1 else {
            let found =
                matches.isEmpty
                ? "none" : matches.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.joined(separator: ", ")
            throw Failure(
                description: "annotation \(Self.mountHintPrefix)\(volume).type: expected exactly one volume directory "
                    + "\(volumes)/*/\(volume), found \(found)")
        }
        return matches[0]
    }

    /// Whether `source` is a kubelet volume directory of `volume` (any pod: volume names are unique in a pod).
    func isVolumeDirectory(_ source: String?, _ volume: String) -> Bool {
        guard let source, source.hasPrefix(kubeletPodsDirectory + "/") else { return false }
        let rest = source.dropFirst(kubeletPodsDirectory.count + 1).split(
            separator: "/", omittingEmptySubsequences: false)
        return rest.count == 4 && rest[1] == "volumes" && rest[3] == volume && !rest[0].isEmpty && !rest[2].isEmpty
    }

    /// The mount as tmpfs. `bind`/`rbind` options go: runsc treats any mount carrying them as a bind mount
    /// served by a gofer, which a tmpfs has none of.
    static func asTmpfs(_ mount: JSONValue) -> JSONValue {
        var mount = mount
        mount["type"] = .string("tmpfs")
        if let options = mount["options"]?.arrayValue {
            mount["options"] = .array(options.filter { $0.stringValue != "bind" && $0.stringValue != "rbind" })
        }
        return mount
    }

    private func setAnnotation(_ spec: inout JSONValue, _ key: String, _ value: String) {
        var annotations = spec["annotations"]?.objectValue ?? [:]
        annotations[key] = .string(value)
        spec["annotations"] = .object(annotations)
    }
}
