import OCI

/// The capability names of an OCI spec's `process.capabilities`, checked with libcap, and
/// gVisor's net-raw rule: unless runsc's `net-raw` flag is on, CAP_NET_RAW is taken out of every
/// set (containerd's default spec grants it; gVisor's shim strips it the same way).
public enum SpecCapabilities {
    /// The sets of `process.capabilities`, in the spec's order.
    public static let setNames = ["bounding", "effective", "inheritable", "permitted", "ambient"]

    /// The outcome for one spec.
    public struct Result: Sendable, Hashable {
        /// The rewritten spec, or nil when nothing had to change.
        public var rewritten: [UInt8]?
        /// The sets CAP_NET_RAW was removed from.
        public var strippedNetRawFrom: [String]
    }

    /// Every name must be an upper-case OCI capability name libcap knows; unknown names are an
    /// error naming the field (`process.capabilities.bounding[3]`).
    public static func enforce(spec: [UInt8], netRawEnabled: Bool) throws(OCISpecError) -> Result {
        var document: JSONValue
        do { document = try JSONValue.decode(spec, file: "config.json") } catch {
            throw OCISpecError(field: "", message: error.reason)
        }
        let stripped = try enforce(in: &document, netRawEnabled: netRawEnabled)
        return Result(rewritten: stripped.isEmpty ? nil : document.encoded(), strippedNetRawFrom: stripped)
    }

    /// The same rules on a decoded spec, changed in place (the shim reads `config.json` once per Create and lets
    /// each step edit it); returns the sets CAP_NET_RAW was removed from, empty when nothing changed.
    public static func enforce(in document: inout JSONValue, netRawEnabled: Bool) throws(OCISpecError) -> [String] {
        guard case .object(var root) = document, case .object(var process)? = root["process"],
            let capabilitiesValue = process["capabilities"]
        else { return [] }
        if case .null = capabilitiesValue { return [] }
        guard case .object(var capabilities) = capabilitiesValue else {
            throw OCISpecError(field: "process.capabilities", message: "expected an object of capability sets")
        }

        var stripped: [String] = []
        for set in setNames {
            guard let value = capabilities[set] else { continue }
            if case .null = value { continue }
            guard case .array(let names) = value else {
                throw OCISpecError(
                    field: "process.capabilities.\(set)", message: "expected an array of capability names")
            }
            var kept: [JSONValue] = []
            for (index, entry) in names.enumerated() {
                let field = "process.capabilities.\(set)[\(index)]"
                guard case .string(let name) = entry else {
                    throw OCISpecError(field: field, message: "expected a capability name (a string)")
                }
                let capability: Capability
                do { capability = try Capability(ociName: name) } catch {
                    throw OCISpecError(field: field, message: "\(error)")
                }
                if capability == .netRaw && !netRawEnabled { continue }
                kept.append(entry)
            }
            if kept.count != names.count {
                stripped.append(set)
                capabilities[set] = .array(kept)
            }
        }
        guard !stripped.isEmpty else { return [] }
        process["capabilities"] = .object(capabilities)
        root["process"] = .object(process)
        document = .object(root)
        return stripped
    }
}
