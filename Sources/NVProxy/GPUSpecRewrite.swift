/// The bundle's OCI spec rewritten for nvproxy: `linux.devices` holds `/dev/nvidiactl`, `/dev/nvidia-uvm` and
/// exactly the chosen `/dev/nvidiaN` with the host's numbers, mode and owner, and `linux.resources.devices`
/// allows them. Every other field is kept as it was.
public struct GPUSpecRewrite: Sendable, Hashable {
    public var spec: JSONValue
    /// The nodes now in `linux.devices`, in order.
    public var devices: [NVIDIADevice]
    /// NVIDIA entries removed from `linux.devices` because nvproxy cannot pass them through.
    public var leftOut: [String]

    /// Rewrites `spec` (from `file`) to give it `devices`; other `/dev/nvidia*` entries are dropped, and those
    /// that are not GPU nodes are reported in ``leftOut``.
    public init(spec original: JSONValue, devices: [NVIDIADevice], file: String) throws(NVProxyError) {
        guard case .object = original else {
            throw NVProxyError(.invalidSpec(file: file, reason: "the spec is \(original.kindName), expected an object"))
        }
        var spec = original
        var linux = try Self.object(spec["linux"], field: "linux", file: file)
        var existing = try Self.array(linux["devices"], field: "linux.devices", file: file)
        var leftOut: [String] = []
        let ours = Set(devices.map(\.containerPath))
        existing.removeAll { entry in
            guard let path = entry["path"]?.stringValue, path.hasPrefix("/dev/nvidia") else { return false }
            if !ours.contains(path), !Self.isGPUNode(path) { leftOut.append(path) }
            return true
        }
        linux["devices"] = .array(existing + devices.map(Self.deviceEntry))

        var resources = try Self.object(linux["resources"], field: "linux.resources", file: file)
        var rules = try Self.array(resources["devices"], field: "linux.resources.devices", file: file)
        for device in devices {
            let rule = Self.allowRule(device)
            if !rules.contains(rule) { rules.append(rule) }
        }
        resources["devices"] = .array(rules)
        linux["resources"] = .object(resources)
        spec["linux"] = .object(linux)

        self.spec = spec
        self.devices = devices
        self.leftOut = leftOut
    }

    /// `/dev/nvidiaN`: a GPU node, dropped silently when not chosen (it is simply another GPU).
    static func isGPUNode(_ path: String) -> Bool {
        path.hasPrefix("/dev/nvidia") && Text.decimal(path.dropFirst("/dev/nvidia".count)) != nil
    }

    static func deviceEntry(_ device: NVIDIADevice) -> JSONValue {
        .object([
            "path": .string(device.containerPath), "type": .string("c"), "major": .int(Int64(device.major)),
            "minor": .int(Int64(device.minor)), "fileMode": .int(Int64(device.fileMode)),
            "uid": .int(Int64(device.uid)),
            "gid": .int(Int64(device.gid)),
        ])
    }

    static func allowRule(_ device: NVIDIADevice) -> JSONValue {
        .object([
            "allow": .bool(true), "type": .string("c"), "major": .int(Int64(device.major)),
            "minor": .int(Int64(device.minor)), "access": .string("rwm"),
        ])
    }

    private static func object(_ value: JSONValue?, field: String, file: String) throws(NVProxyError) -> [String:
        JSONValue]
    {
        switch value {
        case nil, .null?: return [:]
        case .object(let members)?: return members
        case let other?:
            throw NVProxyError(.invalidSpec(file: file, reason: "\(field) is \(other.kindName), expected an object"))
        }
    }

    private static func array(_ value: JSONValue?, field: String, file: String) throws(NVProxyError) -> [JSONValue] {
        switch value {
        case nil, .null?: return []
        case .array(let items)?: return items
        case let other?:
            throw NVProxyError(.invalidSpec(file: file, reason: "\(field) is \(other.kindName), expected an array"))
        }
    }
}
