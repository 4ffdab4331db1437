import CShim
import Glibc
import HostOS
import Synchronization

/// Watches the memory cgroups of this shim's sandboxes for OOM kills.
///
/// cgroup v1: an eventfd registered on `memory.oom_control` through `cgroup.event_control`; cgroup
/// v2: inotify on `memory.events`. Both only say "something happened", so the `oom_kill` counter is
/// what decides, compared with its value at registration. One thread waits on all of them (epoll),
/// started on first use. An OOM is reported once per increase of the counter, by whoever claims it
/// first: the watcher thread, or the container's exit path, which checks synchronously so that
/// TaskOOM always precedes the TaskExit it explains.
final class OOMWatcher: Sendable {
    /// Where a container's memory cgroup is and how its OOM kills are counted.
    struct Cgroup: Sendable, Equatable {
        enum Version: Sendable, Equatable { case v1, v2 }
        var version: Version
        /// The cgroup's directory.
        var directory: String

        /// The `oom_kill` counter (v1: `memory.oom_control`, v2: `memory.events`), or nil if unreadable.
        func oomKills() -> UInt64? {
            let file = version == .v1 ? "memory.oom_control" : "memory.events"
            guard let bytes = try? HostFile.read("\(directory)/\(file)") else { return nil }
            return Self.counter("oom_kill", in: String(decoding: bytes, as: UTF8.self))
        }

        static func counter(_ name: String, in text: String) -> UInt64? {
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count == 2, fields[0] == name { return UInt64(fields[1]) }
            }
            return nil
        }

        /// The memory cgroup of `pid`, from `/proc/<pid>/cgroup` and the mount table.
        static func of(pid: pid_t, procRoot: String = "/proc") -> Cgroup? {
            guard let bytes = try? HostFile.read("\(procRoot)/\(pid)/cgroup"),
                let mounts = try? HostFile.read("\(procRoot)/self/mountinfo")
            else { return nil }
            return resolve(
                cgroupFile: String(decoding: bytes, as: UTF8.self),
                mountInfo: String(decoding: mounts, as: UTF8.self))
        }

        /// Pure part of ``of(pid:procRoot:)``: a v1 memory controller wins; else the v2 unified path.
        static func resolve(cgroupFile: String, mountInfo: String) -> Cgroup? {
            var v1Path: String?
            var v2Path: String?
            for line in cgroupFile.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                guard parts.count == 3 else { continue }
                if parts[1].split(separator: ",").contains("memory") { v1Path = String(parts[2]) }
                if parts[0] == "0", parts[1].isEmpty { v2Path = String(parts[2]) }
            }
            var v1Mount: (root: String, point: String)?
            var v2Mount: (root: String, point: String)?
            for line in mountInfo.split(separator: "\n") {
                // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
                let halves = line.split(separator: " - ", maxSplits: 1)
                guard halves.count == 2 else { continue }
                let head = halves[0].split(separator: " ")
                let tail = halves[1].split(separator: " ")
                guard head.count >= 5, tail.count >= 3 else { continue }
                let mount = (root: String(head[3]), point: String(head[4]))
                if tail[0] == "cgroup", tail[2].split(separator: ",").contains("memory") { v1Mount = mount }
                if tail[0] == "cgroup2" { v2Mount = mount }
            }
            func join(_ mount: (root: String, point: String), _ path: String) -> String {
                var relative = path
                if mount.root != "/", relative.hasPrefix(mount.root) { relative.removeFirst(mount.root.count) }
                return relative == "/" || relative.isEmpty ? mount.point : mount.point + relative
            }
            if let v1Path, let v1Mount { return Cgroup(version: .v1, directory: join(v1Mount, v1Path)) }
            if let v2Path, let v2Mount { return Cgroup(version: .v2, directory: join(v2Mount, v2Path)) }
            return nil
        }
    }

    private struct Watch {
        var id: String
        var cgroup: Cgroup
        /// The eventfd (v1) or inotify descriptor (v2) epoll waits on.
        var fd: CInt
        /// v1 only: `memory.oom_control`, held open for the registration.
        var controlFD: CInt
        var reported: UInt64
    }

    private struct State: ~Copyable {
        var watches: [String: Watch] = [:]
        var byFD: [CInt: String] = [:]
        var epoll: CInt = -1
    }

    private let state = Mutex(State())
    private let onOOM: @Sendable (String) -> Void

    /// `onOOM` runs on the watcher thread with the container id; it should only hand off.
    init(onOOM: @escaping @Sendable (String) -> Void) { self.onOOM = onOOM }

    /// Starts watching the memory cgroup of `pid` (the sandbox process) for container `id`.
    @discardableResult
    func register(id: String, pid: pid_t) -> Cgroup? {
        guard let cgroup = Cgroup.of(pid: pid) else { return nil }
        return register(id: id, cgroup: cgroup) ? cgroup : nil
    }

    func register(id: String, cgroup: Cgroup) -> Bool {
        var fd: CInt = -1
        var controlFD: CInt = -1
        switch cgroup.version {
        case .v1:
            controlFD = open("\(cgroup.directory)/memory.oom_control", O_RDONLY | O_CLOEXEC)
            fd = cshim_eventfd()
            let line = "\(fd) \(controlFD)"
            let control = open("\(cgroup.directory)/cgroup.event_control", O_WRONLY | O_CLOEXEC)
            let written = control >= 0 && line.withCString { write(control, $0, strlen($0)) } > 0
            if control >= 0 { close(control) }
            guard controlFD >= 0, fd >= 0, written else {
                for descriptor in [fd, controlFD] where descriptor >= 0 { close(descriptor) }
                return false
            }
        case .v2:
            fd = cshim_inotify_modify("\(cgroup.directory)/memory.events")
            guard fd >= 0 else { return false }
        }
        let watch = Watch(id: id, cgroup: cgroup, fd: fd, controlFD: controlFD, reported: cgroup.oomKills() ?? 0)
        let startThread = state.withLock { state -> Bool in
            if let old = state.watches[id] { Self.release(old, epoll: state.epoll, byFD: &state.byFD) }
            state.watches[id] = watch
            state.byFD[fd] = id
            let first = state.epoll < 0
            if first { state.epoll = cshim_epoll_create() }
            _ = cshim_epoll_add(state.epoll, fd)
            return first
        }
        if startThread { startWatching() }
        return true
    }

    /// True once per new OOM kill in `id`'s cgroup since registration or the last claim.
    func claim(_ id: String) -> Bool {
        state.withLock { state in
            guard var watch = state.watches[id] else { return false }
            Self.drain(watch.fd)
            guard let kills = watch.cgroup.oomKills(), kills > watch.reported else { return false }
            watch.reported = kills
            state.watches[id] = watch
            return true
        }
    }

    /// Stops watching `id` (container deleted).
    func forget(_ id: String) {
        state.withLock { state in
            guard let watch = state.watches.removeValue(forKey: id) else { return }
            Self.release(watch, epoll: state.epoll, byFD: &state.byFD)
        }
    }

    private static func release(_ watch: Watch, epoll: CInt, byFD: inout [CInt: String]) {
        if epoll >= 0 { _ = cshim_epoll_remove(epoll, watch.fd) }
        byFD.removeValue(forKey: watch.fd)
        Glibc.close(watch.fd)
        if watch.controlFD >= 0 { Glibc.close(watch.controlFD) }
    }

    /// Empties an eventfd or inotify descriptor so epoll stops reporting it.
    private static func drain(_ fd: CInt) {
        var buffer = [UInt8](repeating: 0, count: 512)
        while buffer.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 {}
    }

    private func startWatching() {
        let box = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { raw in
                let watcher = Unmanaged<OOMWatcher>.fromOpaque(raw!).takeRetainedValue()
                watcher.loop()
                return nil
            }, box)
        if rc == 0 { pthread_detach(thread) } else { Unmanaged<OOMWatcher>.fromOpaque(box).release() }
    }

    private func loop() {
        let epoll = state.withLock { $0.epoll }
        while true {
            let fd = cshim_epoll_wait_one(epoll, -1)
            guard fd >= 0 else { continue }
            let id = state.withLock { $0.byFD[fd] }
            guard let id else {
                Self.drain(fd)
                continue
            }
            // Whoever claims first reports; here we only wake the owner, who claims under its actor.
            let pending = state.withLock { state -> Bool in
                guard let watch = state.watches[id] else { return false }
                Self.drain(watch.fd)
                return (watch.cgroup.oomKills() ?? 0) > watch.reported
            }
            if pending { onOOM(id) }
        }
    }
}
