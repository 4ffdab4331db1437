import CShim
import Glibc
import HostOS
import NIOCore
import NIOPosix
import Synchronization

/// Watches the memory cgroups of this shim's sandboxes for OOM kills.
///
/// cgroup v1: an eventfd registered on `memory.oom_control` through `cgroup.event_control`; cgroup
/// v2: inotify on `memory.events`. Both only say "something happened", so the `oom_kill` counter is
/// what decides, compared with its value at registration. The descriptors are read on the shim's event
/// loop as NIO pipe channels (no thread of their own). An OOM is reported once per increase of the counter,
/// by whoever claims it first: the loop's notification, or the container's exit path, which checks
/// synchronously so that TaskOOM always precedes the TaskExit it explains.
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
        /// Tells registrations of one id apart, so a late channel of a replaced watch is closed.
        var generation: UInt64
        /// The event loop's channel over the eventfd (v1) or inotify descriptor (v2), once registered.
        var channel: (any Channel)?
        /// v1 only: `memory.oom_control`, held open for the registration.
        var controlFD: CInt
        var reported: UInt64
    }

    private struct State: ~Copyable {
        var watches: [String: Watch] = [:]
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    private let eventLoop: any EventLoop
    private let onOOM: @Sendable (String) -> Void

    /// `onOOM` runs on `eventLoop` with the container id; it should only hand off.
    init(eventLoop: any EventLoop, onOOM: @escaping @Sendable (String) -> Void) {
        self.eventLoop = eventLoop
        self.onOOM = onOOM
    }

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
        let generation = state.withLock { state -> UInt64 in
            state.generation += 1
            if let old = state.watches[id] { Self.release(old) }
            state.watches[id] = Watch(
                id: id, cgroup: cgroup, generation: state.generation, channel: nil, controlFD: controlFD,
                reported: cgroup.oomKills() ?? 0)
            return state.generation
        }
        NIOPipeBootstrap(group: eventLoop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 4096))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Notified(watcher: self, id: id))
                }
            }
            .takingOwnershipOfDescriptor(input: fd)
            .whenComplete { result in
                guard case .success(let channel) = result else { return }
                let current = self.state.withLock { state -> Bool in
                    guard state.watches[id]?.generation == generation else { return false }
                    state.watches[id]?.channel = channel
                    return true
                }
                if !current { channel.close(promise: nil) }
            }
        return true
    }

    /// True once per new OOM kill in `id`'s cgroup since registration or the last claim.
    func claim(_ id: String) -> Bool {
        state.withLock { state in
            guard var watch = state.watches[id] else { return false }
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
            Self.release(watch)
        }
    }

    private static func release(_ watch: Watch) {
        watch.channel?.close(promise: nil)
        if watch.controlFD >= 0 { Glibc.close(watch.controlFD) }
    }

    /// The descriptor said "something changed": wake the owner if the counter grew; it claims under its actor.
    fileprivate func notified(_ id: String) {
        let pending = state.withLock { state -> Bool in
            guard let watch = state.watches[id] else { return false }
            return (watch.cgroup.oomKills() ?? 0) > watch.reported
        }
        if pending { onOOM(id) }
    }
}

/// Reads (and so clears) an OOM descriptor's notifications on the event loop.
private final class Notified: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let watcher: OOMWatcher
    let id: String

    init(watcher: OOMWatcher, id: String) {
        self.watcher = watcher
        self.id = id
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func channelReadComplete(context: ChannelHandlerContext) {
        watcher.notified(id)
    }
}
