import CShim
import Glibc
import HostOS

/// A containerd rootfs mount (`containerd.types.Mount`) applied with mount(2), the way containerd's
/// `mount.Mount` does: options split into flags, propagation and filesystem data.
public struct Mount: Equatable, Sendable {
    public var type: String
    public var source: String
    public var options: [String]

    public init(type: String, source: String, options: [String]) {
        self.type = type
        self.source = source
        self.options = options
    }

    /// Mount flags, propagation flags and the data string that mount(2) takes.
    struct Parsed: Equatable {
        var flags: UInt = 0
        var propagation: UInt = 0
        var data: [String] = []
    }

    private static let flagOptions: [String: (clear: Bool, flag: UInt)] = [
        "async": (true, UInt(MS_SYNCHRONOUS)), "atime": (true, UInt(MS_NOATIME)),
        "bind": (false, UInt(MS_BIND)), "defaults": (false, 0), "dev": (true, UInt(MS_NODEV)),
        "diratime": (true, UInt(MS_NODIRATIME)), "dirsync": (false, UInt(MS_DIRSYNC)),
        "exec": (true, UInt(MS_NOEXEC)), "mand": (false, UInt(MS_MANDLOCK)),
        "noatime": (false, UInt(MS_NOATIME)), "nodev": (false, UInt(MS_NODEV)),
        "nodiratime": (false, UInt(MS_NODIRATIME)), "noexec": (false, UInt(MS_NOEXEC)),
        "nomand": (true, UInt(MS_MANDLOCK)), "norelatime": (true, UInt(MS_RELATIME)),
        "nostrictatime": (true, UInt(MS_STRICTATIME)), "nosuid": (false, UInt(MS_NOSUID)),
        "rbind": (false, UInt(MS_BIND) | UInt(MS_REC)), "relatime": (false, UInt(MS_RELATIME)),
        "remount": (false, UInt(MS_REMOUNT)), "ro": (false, UInt(MS_RDONLY)), "rw": (true, UInt(MS_RDONLY)),
        "strictatime": (false, UInt(MS_STRICTATIME)), "suid": (true, UInt(MS_NOSUID)),
        "sync": (false, UInt(MS_SYNCHRONOUS)),
    ]

    private static let propagationOptions: [String: UInt] = [
        "private": UInt(MS_PRIVATE), "rprivate": UInt(MS_PRIVATE) | UInt(MS_REC),
        "shared": UInt(MS_SHARED), "rshared": UInt(MS_SHARED) | UInt(MS_REC),
        "slave": UInt(MS_SLAVE), "rslave": UInt(MS_SLAVE) | UInt(MS_REC),
        "unbindable": UInt(MS_UNBINDABLE), "runbindable": UInt(MS_UNBINDABLE) | UInt(MS_REC),
    ]

    var parsed: Parsed {
        var result = Parsed()
        for option in options {
            if let (clear, flag) = Mount.flagOptions[option] {
                if clear { result.flags &= ~flag } else { result.flags |= flag }
            } else if let propagation = Mount.propagationOptions[option] {
                result.propagation |= propagation
            } else {
                result.data.append(option)
            }
        }
        return result
    }

    /// Mounts onto `target`. A read-only bind mount needs a second, remounting call. An overlay whose options
    /// come near a page gets its `lowerdir` compacted as containerd does (see ``compactLowerdir(_:)``).
    public func mount(on target: String) throws(SystemError) {
        var parsed = self.parsed
        var directory: String?
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        if type == "overlay", options.reduce(0, { $0 + $1.utf8.count + 1 }) >= pageSize - 512 {
            (directory, parsed.data) = Self.compactLowerdir(parsed.data)
        }
        let data = parsed.data.joined(separator: ",")
        guard data.utf8.count < pageSize else {
            throw SystemError(
                operation: "mount \(type) \(source) on \(target): the options are \(data.utf8.count) bytes, more than "
                    + "mount(2) takes (a page, \(pageSize))", errno: E2BIG)
        }
        let isBind = parsed.flags & UInt(MS_BIND) != 0
        var rc: Int32
        if let directory {
            let error = cshim_mount_at(directory, source, target, type, parsed.flags, data)
            rc = error == 0 ? 0 : -1
            if error != 0 { errno = error }
        } else {
            rc = Glibc.mount(source, target, type, parsed.flags, data.isEmpty ? nil : data)
        }
        guard rc == 0 else { throw SystemError(operation: "mount \(type) \(source) on \(target)", errno: errno) }
        if isBind && parsed.flags & UInt(MS_RDONLY) != 0 {
            rc = Glibc.mount("", target, "", parsed.flags | UInt(MS_REMOUNT), nil)
            guard rc == 0 else { throw SystemError(operation: "remount \(target) read-only", errno: errno) }
        }
        if parsed.propagation != 0 {
            rc = Glibc.mount("", target, "", parsed.propagation, nil)
            guard rc == 0 else { throw SystemError(operation: "set propagation of \(target)", errno: errno) }
        }
    }

    /// containerd's `compactLowerdirOption`: the `lowerdir` paths lose their common parent directory, which is
    /// returned for the mount to run in. Why: mount(2) takes one page of options, and an image of ~55 layers
    /// under `/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/<n>/fs` exceeds it.
    ///
    /// Like containerd, the common prefix is cut back to a directory boundary (snapshot ids are numbers, so a
    /// prefix such as `snapshots/1` is not a directory), and nothing changes with one lowerdir or no common
    /// directory below `/`.
    static func compactLowerdir(_ data: [String]) -> (directory: String?, data: [String]) {
        guard let index = data.firstIndex(where: { $0.hasPrefix("lowerdir=") }) else { return (nil, data) }
        let directories = data[index].dropFirst("lowerdir=".count).split(separator: ":").map(String.init)
        guard directories.count > 1, var common = directories.first else { return (nil, data) }
        for directory in directories.dropFirst() {
            common = String(zip(common, directory).prefix(while: { $0 == $1 }).map(\.0))
        }
        guard let slash = common.lastIndex(of: "/"), slash != common.startIndex else { return (nil, data) }
        let parent = String(common[...slash])  // with the trailing "/"
        guard directories.allSatisfy({ $0.count > parent.count }) else { return (nil, data) }
        var compacted = data
        compacted.remove(at: index)
        compacted.append("lowerdir=" + directories.map { String($0.dropFirst(parent.count)) }.joined(separator: ":"))
        return (parent, compacted)
    }

    /// Unmounts everything stacked on `target` (lazily, like containerd's UnmountAll with
    /// MNT_DETACH), tolerating a target that is not mounted or does not exist.
    public static func unmountAll(_ target: String) throws(SystemError) {
        for _ in 0..<64 {
            if umount2(target, Int32(MNT_DETACH)) != 0 {
                if errno == EINVAL || errno == ENOENT { return }
                throw SystemError(operation: "unmount \(target)", errno: errno)
            }
        }
    }

    /// Mounts each of `mounts` on `target` in order; on failure, undoes what was mounted.
    public static func mountAll(_ mounts: [Mount], on target: String) throws(SystemError) {
        for (index, mount) in mounts.enumerated() {
            do {
                try mount.mount(on: target)
            } catch {
                if index > 0 { try? unmountAll(target) }
                throw error
            }
        }
    }
}
