/// A set of capabilities, in number order; a value, cheap to copy and compare.
public struct CapabilitySet: Hashable, Sendable, Sequence, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// Bit `n` is capability number `n`, as in `/proc/<pid>/status`.
    public var bits: UInt64

    public init(bits: UInt64 = 0) { self.bits = bits }

    public init<S: Sequence>(_ capabilities: S) where S.Element == Capability {
        bits = 0
        for capability in capabilities { insert(capability) }
    }

    public init(arrayLiteral elements: Capability...) { self.init(elements) }

    /// Parses names with libcap (`cap_net_raw` or `CAP_NET_RAW`); the first unknown name is the error.
    public init(names: [String]) throws(CapabilityError) {
        bits = 0
        for name in names { insert(try Capability(name: name)) }
    }

    public func contains(_ capability: Capability) -> Bool { bits & (1 << UInt64(capability.value)) != 0 }
    public mutating func insert(_ capability: Capability) { bits |= 1 << UInt64(capability.value) }
    public mutating func remove(_ capability: Capability) { bits &= ~(1 << UInt64(capability.value)) }

    public func intersection(_ other: CapabilitySet) -> CapabilitySet { CapabilitySet(bits: bits & other.bits) }
    public func union(_ other: CapabilitySet) -> CapabilitySet { CapabilitySet(bits: bits | other.bits) }
    public func subtracting(_ other: CapabilitySet) -> CapabilitySet { CapabilitySet(bits: bits & ~other.bits) }

    public var isEmpty: Bool { bits == 0 }
    public var count: Int { bits.nonzeroBitCount }

    public func makeIterator() -> IndexingIterator<[Capability]> {
        (0..<64).compactMap { bit in bits & (1 << UInt64(bit)) != 0 ? Capability(value: Int32(bit)) : nil }
            .makeIterator()
    }

    /// libcap's names, comma-separated (`cap_chown,cap_sys_admin`), or `none`.
    public var description: String { isEmpty ? "none" : map(\.name).joined(separator: ",") }
}
