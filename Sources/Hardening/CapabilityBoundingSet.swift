import CCap
import Glibc

/// The shim daemon's capability bounding set: what it and every runsc it starts may ever hold.
///
/// The daemon runs as root with every capability, and runsc, started as root, gets whatever the bounding set still
/// has. A compromised shim (or runsc CLI call) should not be able to load kernel modules, change the clock, reboot
/// or read the kernel log even before seccomp refuses the call, so the daemon drops at start everything outside
/// ``shimKeeps``: what runsc needs for any runsc.toml (``RunscCapabilityNeeds`` with every option on) plus what the
/// shim itself uses. The drop is one-way and inherited by every child, but per thread: the shim makes it on the
/// thread that spawns the daemon, so the daemon has the reduced set in all its threads.
public enum CapabilityBoundingSet {
    /// Every capability the daemon keeps, with why.
    public static let shimKeeps: [RunscCapabilityNeeds.Requirement] = {
        let runsc = RunscCapabilityNeeds(runscConfig: ["platform": "ptrace", "network": "host", "net-raw": "true"])
        let shim: [RunscCapabilityNeeds.Requirement] = [
            .init(.kill, "the shim signals sandbox and gofer processes that changed their credentials"),
            .init(
                Capability(value: CAP_SETPCAP)!,
                "runsc drops capabilities from the bounding sets of the sandbox and the gofer it starts"),
            .init(
                .sysResource,
                "runsc raises RLIMIT_NOFILE and RLIMIT_MEMLOCK for the sandbox where the node allows it"),
            .init(.mknod, "the gofer recreates device nodes of the container's root filesystem"),
            .init(.netBindService, "network=host sandboxes bind the ports the container asks for"),
            .init(
                Capability(value: CAP_SETFCAP)!,
                "runsc 20240729 maps root into the gofer's user namespace, which needs it since Linux 5.12"),
        ]
        return (runsc.requirements + shim).sorted { $0.capability < $1.capability }
    }()

    /// Drops every supported capability outside ``shimKeeps`` from the calling thread's bounding set (libcap's
    /// `cap_drop_bound`, which needs CAP_SETPCAP) and returns what was dropped; capabilities already gone are
    /// skipped.
    public static func dropUnneeded() throws(CapabilityError) -> CapabilitySet {
        let keep = CapabilitySet(shimKeeps.map(\.capability))
        let current = try ProcessCapabilities.current().bounding
        var dropped = CapabilitySet()
        for capability in Capability.supported where !keep.contains(capability) && current.contains(capability) {
            guard cap_drop_bound(capability.value) == 0 else {
                throw .system(operation: "cap_drop_bound(\(capability.name))", errno: errno)
            }
            dropped.insert(capability)
        }
        return dropped
    }
}
