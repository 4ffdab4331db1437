/// Request metadata: ordered key/value pairs, several values per key allowed (ttrpc's `MD`).
///
/// Keys are lower-cased when added, as ttrpc's `MD.Set` does; lookups ignore case so a peer that sends mixed-case
/// keys is still understood.
public struct TTRPCMetadata: Hashable, Sendable, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public private(set) var pairs: [KeyValue]

    public struct KeyValue: Hashable, Sendable {
        public var key: String
        public var value: String

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    public init() {
        pairs = []
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        pairs = elements.map { KeyValue(key: $0.0.lowercased(), value: $0.1) }
    }

    /// Metadata exactly as received: keys are not rewritten.
    public init(_ wire: [Ttrpc_KeyValue]) {
        pairs = wire.map { KeyValue(key: $0.key, value: $0.value) }
    }

    /// The first value for `key`.
    public subscript(key: String) -> String? {
        let key = key.lowercased()
        return pairs.first { $0.key.lowercased() == key }?.value
    }

    /// Every value for `key`, in order.
    public func values(for key: String) -> [String] {
        let key = key.lowercased()
        return pairs.filter { $0.key.lowercased() == key }.map(\.value)
    }

    public mutating func append(_ value: String, for key: String) {
        pairs.append(KeyValue(key: key.lowercased(), value: value))
    }

    /// Replaces every value for `key` with `value`.
    public mutating func set(_ value: String, for key: String) {
        let key = key.lowercased()
        pairs.removeAll { $0.key.lowercased() == key }
        pairs.append(KeyValue(key: key, value: value))
    }

    public var isEmpty: Bool { pairs.isEmpty }

    /// The wire form.
    public var wire: [Ttrpc_KeyValue] {
        pairs.map {
            var pair = Ttrpc_KeyValue()
            pair.key = $0.key
            pair.value = $0.value
            return pair
        }
    }

    public var description: String {
        "[" + pairs.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "]"
    }
}
