/// The capabilities runsc needs from the shim that starts it, for the flags in runsc.toml's
/// `[runsc_config]`. runsc runs as root and keeps what the shim's bounding set allows; when one
/// is missing runsc fails deep inside the sandbox setup with an unrelated-looking error, so the
/// shim checks first and names what is missing (`gvisor-node doctor` uses the same list).
public struct RunscCapabilityNeeds: Sendable, Hashable {
    /// One capability and why runsc needs it with these flags.
    public struct Requirement: Sendable, Hashable, CustomStringConvertible {
        public var capability: Capability
        public var reason: String

        public init(_ capability: Capability, _ reason: String) {
            self.capability = capability
            self.reason = reason
        }

        public var description: String { "\(capability.ociName) (\(reason))" }
    }

    /// In capability order; empty for `rootless = true` (runsc then builds its own user namespace).
    public var requirements: [Requirement]

    /// `runscConfig` is runsc.toml's `[runsc_config]` as flag name → value text.
    public init(runscConfig: [String: String]) {
        let flags = RunscFlags(runscConfig)
        guard !flags.isTrue("rootless") else {
            requirements = []
            return
        }
        var needs: [Requirement] = [
            .init(.sysAdmin, "namespaces, mounts and cgroups of the sandbox and the gofer"),
            .init(.sysChroot, "the sandbox and the gofer pivot_root/chroot into an empty root"),
            .init(.setuid, "the sandbox and the gofer change user ids and map them in a user namespace"),
            .init(.setgid, "the sandbox and the gofer change group ids and map them in a user namespace"),
            .init(.chown, "the gofer serves the container's files for any owner"),
            .init(.dacOverride, "the gofer serves the container's files for any owner"),
            .init(.dacReadSearch, "the gofer serves the container's files for any owner"),
            .init(.fowner, "the gofer serves the container's files for any owner"),
            .init(.fsetid, "the gofer serves the container's files for any owner"),
        ]
        let platform = flags.value("platform") ?? "ptrace"
        if platform == "ptrace" {
            needs.append(.init(.sysPtrace, "platform=ptrace traces the sandboxed processes"))
        }
        let network = flags.value("network") ?? "sandbox"
        if network != "none" {
            needs.append(.init(.netAdmin, "network=\(network) configures the sandbox's network namespace"))
        }
        if network == "host" && flags.isTrue("net-raw") {
            needs.append(.init(.netRaw, "network=host with net-raw opens raw sockets on the host"))
        }
        requirements = needs.sorted { $0.capability < $1.capability }
    }

    /// The requirements `process` does not meet (see `ProcessCapabilities.held`).
    public func missing(in process: ProcessCapabilities) -> [Requirement] {
        requirements.filter { !process.held.contains($0.capability) }
    }

    /// Throws a `MissingCapabilitiesError` naming every missing capability.
    public func check(_ process: ProcessCapabilities) throws(MissingCapabilitiesError) {
        let missing = missing(in: process)
        if !missing.isEmpty { throw MissingCapabilitiesError(missing: missing) }
    }
}

/// runsc would fail for lack of these capabilities.
public struct MissingCapabilitiesError: Error, Sendable, Hashable, CustomStringConvertible {
    public var missing: [RunscCapabilityNeeds.Requirement]

    public init(missing: [RunscCapabilityNeeds.Requirement]) { self.missing = missing }

    public var description: String {
        "runsc needs capabilities the shim does not hold (effective, permitted and bounding sets): "
            + missing.map(\.description).joined(separator: "; ")
    }
}

/// runsc flag values as runsc (Go's `flag` package) reads them.
public struct RunscFlags: Sendable, Hashable {
    public let values: [String: String]

    public init(_ values: [String: String]) { self.values = values }

    public func value(_ name: String) -> String? { values[name] }

    /// Go's `strconv.ParseBool` true spellings; absent means the flag's default, false here.
    public func isTrue(_ name: String) -> Bool {
        guard let value = values[name] else { return false }
        return ["1", "t", "T", "TRUE", "true", "True"].contains(value)
    }
}
