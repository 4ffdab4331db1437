import Glibc
import HostOS

/// Moves the shim daemon into the cgroup the runtime options name (`ShimCgroup`), as runc-v2's `start` does:
/// containerd's client sets it to account the shim to the pod rather than to containerd.
///
/// cgroup v2 (`/sys/fs/cgroup` has `cgroup.controllers`): the pid goes to `<path>/cgroup.procs`, which must exist. cgroup v1:
/// to `<hierarchy>/<path>/cgroup.procs` of every mounted hierarchy that has the path (containerd's cgroup1.Load
/// skips the others), and at least one must.
enum ShimCgroup {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func join(pid: pid_t, path: String, root: String = "/sys/fs/cgroup") throws(Failure) {
        let components = path.split(separator: "/").map(String.init)
        guard !components.isEmpty, !components.contains(".."), !components.contains(".") else {
            throw Failure(description: "shim cgroup \"\(path)\": expected an absolute cgroup path")
        }
        let relative = components.joined(separator: "/")
        let unified = access("\(root)/cgroup.controllers", F_OK) == 0
        let directories: [String]
        if unified {
            directories = ["\(root)/\(relative)"]
        } else {
            directories = hierarchies(root).map { "\($0)/\(relative)" }.filter(FileSystem.isDirectory)
            guard !directories.isEmpty else {
                throw Failure(description: "shim cgroup \"\(path)\" does not exist in any hierarchy under \(root)")
            }
        }
        for directory in directories {
            let file = "\(directory)/cgroup.procs"
            let fd = open(file, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw Failure(description: "joining shim cgroup: open \(file): \(String(cString: strerror(errno)))")
            }
            defer { close(fd) }
            let text = Array("\(pid)\n".utf8)
            guard write(fd, text, text.count) == text.count else {
                throw Failure(description: "joining shim cgroup: write \(file): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The v1 hierarchies mounted under `root`: its directories, not the `cpu -> cpu,cpuacct` style links
    /// and not the hybrid layout's cgroup2 `unified` mount.
    private static func hierarchies(_ root: String) -> [String] {
        ((try? Directory.entries(root)) ?? []).filter { $0 != "unified" }.map { "\(root)/\($0)" }.filter { path in
            FileSystem.linkStatus(path)?.kind == .directory
        }
    }
}
