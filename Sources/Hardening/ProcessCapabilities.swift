import CCap
import Glibc

/// A process's capability sets, read with libcap: what `gvisor-node doctor` prints and what the
/// shim checks before it lets runsc start.
public struct ProcessCapabilities: Hashable, Sendable {
    /// What the process can use right now.
    public var effective: CapabilitySet
    /// What it may make effective.
    public var permitted: CapabilitySet
    public var inheritable: CapabilitySet
    /// The ceiling for everything it and its children execute: a capability missing here is lost
    /// to runsc even when the shim still has it in its effective set.
    public var bounding: CapabilitySet
    public var ambient: CapabilitySet

    public init(
        effective: CapabilitySet = [], permitted: CapabilitySet = [], inheritable: CapabilitySet = [],
        bounding: CapabilitySet = [], ambient: CapabilitySet = []
    ) {
        self.effective = effective
        self.permitted = permitted
        self.inheritable = inheritable
        self.bounding = bounding
        self.ambient = ambient
    }

    /// Usable now and kept across an exec as root: effective ∩ permitted ∩ bounding. This is what
    /// runsc, started by the shim as root, gets.
    public var held: CapabilitySet { effective.intersection(permitted).intersection(bounding) }

    /// The calling process (libcap's `cap_get_proc`, `cap_iab_get_proc`).
    public static func current() throws(CapabilityError) -> ProcessCapabilities {
        try read(pid: 0)
    }

    /// Another process by pid (libcap's `cap_get_pid`, `cap_iab_get_pid`); 0 is the caller.
    public static func of(pid: pid_t) throws(CapabilityError) -> ProcessCapabilities {
        try read(pid: pid)
    }

    private static func read(pid: pid_t) throws(CapabilityError) -> ProcessCapabilities {
        guard let caps = pid == 0 ? cap_get_proc() : cap_get_pid(pid) else {
            throw .system(operation: "cap_get_pid(\(pid))", errno: errno)
        }
        defer { cap_free(UnsafeMutableRawPointer(caps)) }
        guard let iab = pid == 0 ? cap_iab_get_proc() : cap_iab_get_pid(pid) else {
            throw .system(operation: "cap_iab_get_pid(\(pid))", errno: errno)
        }
        defer { cap_free(UnsafeMutableRawPointer(iab)) }

        var result = ProcessCapabilities()
        for capability in Capability.supported {
            func flag(_ which: cap_flag_t) -> Bool {
                var value = CAP_CLEAR
                return cap_get_flag(caps, capability.value, which, &value) == 0 && value == CAP_SET
            }
            if flag(CAP_EFFECTIVE) { result.effective.insert(capability) }
            if flag(CAP_PERMITTED) { result.permitted.insert(capability) }
            if flag(CAP_INHERITABLE) { result.inheritable.insert(capability) }
            // The IAB "bound" vector marks capabilities dropped from the bounding set.
            if cap_iab_get_vector(iab, CAP_IAB_BOUND, capability.value) != CAP_SET {
                result.bounding.insert(capability)
            }
            if cap_iab_get_vector(iab, CAP_IAB_AMB, capability.value) == CAP_SET {
                result.ambient.insert(capability)
            }
        }
        return result
    }

    /// The capabilities of `required` this process does not hold (see `held`).
    public func missing(_ required: CapabilitySet) -> CapabilitySet { required.subtracting(held) }
}
