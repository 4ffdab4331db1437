/// Which GPUs a container asks for, gathered from every place the NVIDIA tooling writes it into an OCI spec.
///
/// Sources, all combined (a device plugin may use more than one):
/// - `linux.devices` entries under `/dev/nvidia*` (device plugin `DeviceSpec`s, GKE style);
/// - `NVIDIA_VISIBLE_DEVICES` in `process.env`: `all`, `none` (driver only, no GPU), indexes, `GPU-<uuid>`;
///   empty and `void` ask for nothing;
/// - CDI annotations `cdi.k8s.io/<plugin>` = `nvidia.com/gpu=<index|GPU-uuid|all>,...` (the device plugin's
///   `cdi-annotations` strategy; containerd 1.6 passes them through unprocessed);
/// - the device plugin's `volume-mounts` strategy: mounts at `/var/run/nvidia-container-devices/<id>`.
public struct GPURequest: Sendable, Hashable {
    /// One requested GPU.
    public enum Selector: Sendable, Hashable, CustomStringConvertible {
        case index(UInt32)
        case uuid(String)

        public var description: String {
            switch self {
            case .index(let index): "\(index)"
            case .uuid(let uuid): uuid
            }
        }
    }

    /// Every GPU of the host.
    public var all: Bool
    /// The GPUs named, in first-seen order without duplicates; empty with `all == false` means driver access
    /// only (`NVIDIA_VISIBLE_DEVICES=none`, or just `/dev/nvidiactl` in the spec).
    public var selectors: [Selector]
    /// Where the request came from, for log lines: `NVIDIA_VISIBLE_DEVICES=0`, `linux.devices /dev/nvidia0`, ...
    public var sources: [String]
    /// NVIDIA nodes in the spec's `linux.devices` that nvproxy cannot pass through (`/dev/nvidia-modeset`,
    /// `/dev/nvidia-caps/nvidia-cap1`, ...); the rewrite leaves them out.
    public var unsupportedDevices: [String]

    public init(
        all: Bool = false, selectors: [Selector] = [], sources: [String] = [], unsupportedDevices: [String] = []
    ) {
        self.all = all
        self.selectors = selectors
        self.sources = sources
        self.unsupportedDevices = unsupportedDevices
    }

    public static let visibleDevicesVariable = "NVIDIA_VISIBLE_DEVICES"
    public static let cdiAnnotationPrefix = "cdi.k8s.io/"
    public static let cdiGPUKind = "nvidia.com/gpu"
    public static let volumeMountDirectory = "/var/run/nvidia-container-devices/"

    /// The request in `spec` (a bundle's `config.json`, named `file` in errors), or nil when it asks for no GPU.
    ///
    /// Throws for what nvproxy cannot do, naming the field: MIG devices, other NVIDIA CDI kinds, malformed
    /// lists.
    public static func detect(in spec: JSONValue, file: String) throws(NVProxyError) -> GPURequest? {
        var request = GPURequest()
        var asked = false

        if let devices = spec["linux"]?["devices"]?.arrayValue {
            for device in devices {
                guard let path = device["path"]?.stringValue, path.hasPrefix("/dev/nvidia") else { continue }
                asked = true
                request.sources.append("linux.devices \(path)")
                let name = path.dropFirst("/dev/nvidia".count)
                if let index = Text.decimal(name) {
                    request.add(.index(index))
                } else if name != "ctl", name != "-uvm" {
                    request.unsupportedDevices.append(path)
                }
            }
        }

        // The volume-mounts strategy sets the variable to the mount directory; the mounts carry the list.
        if let value = environment(spec)[visibleDevicesVariable], value != String(volumeMountDirectory.dropLast()) {
            let source = "\(file): process.env \(visibleDevicesVariable)=\(value)"
            if try request.addList(value, source: source) {
                asked = true
                request.sources.append("\(visibleDevicesVariable)=\(value)")
            }
        }

        if let annotations = spec["annotations"]?.objectValue {
            for (key, value) in annotations.sorted(by: { $0.key < $1.key }) where key.hasPrefix(cdiAnnotationPrefix) {
                guard let text = value.stringValue else { continue }
                let source = "\(file): annotations.\(key)"
                for name in text.split(separator: ",").map(Text.trimmed) where !name.isEmpty {
                    guard let equals = name.firstIndex(of: "=") else {
                        throw NVProxyError(
                            .badRequest(
                                source: source,
                                reason: "CDI device \"\(name)\" is not of the form vendor.com/class=name"))
                    }
                    let kind = name[..<equals]
                    let device = String(name[name.index(after: equals)...])
                    guard kind.hasPrefix("nvidia.com/") else { continue }
                    guard kind == cdiGPUKind else {
                        throw NVProxyError(
                            .badRequest(
                                source: source,
                                reason: "CDI device \(name): nvproxy passes through only \(cdiGPUKind) devices (no MIG)"
                            ))
                    }
                    if try request.addList(device, source: source) {
                        asked = true
                        request.sources.append("CDI \(name)")
                    }
                }
            }
        }

        if let mounts = spec["mounts"]?.arrayValue {
            for mount in mounts {
                guard let destination = mount["destination"]?.stringValue,
                    destination.hasPrefix(volumeMountDirectory)
                else { continue }
                let id = String(destination.dropFirst(volumeMountDirectory.count))
                if try request.addList(id, source: "\(file): mounts \(destination)") {
                    asked = true
                    request.sources.append("mount \(destination)")
                }
            }
        }
        return asked ? request : nil
    }

    /// The GPUs of `inventory` this request names, by index; throws naming the GPU the host lacks.
    public func resolve(against inventory: GPUInventory) throws(NVProxyError) -> [NVIDIAGPU] {
        if all { return inventory.gpus }
        var chosen: [NVIDIAGPU] = []
        let have = inventory.gpus.isEmpty ? "none" : inventory.gpus.map { "\($0.index)" }.joined(separator: ", ")
        for selector in selectors {
            let match: NVIDIAGPU?
            switch selector {
            case .index(let index):
                match = inventory.gpus.first { $0.index == index }
                if match == nil {
                    throw NVProxyError(
                        .badRequest(
                            source: sources.joined(separator: ", "),
                            reason:
                                "asks for GPU \(index) but \(inventory.host.deviceRoot) has no nvidia\(index) (GPUs: \(have))"
                        ))
                }
            case .uuid(let uuid):
                match = inventory.gpus.first { $0.uuid?.lowercased() == uuid.lowercased() }
                if match == nil {
                    let known = inventory.gpus.compactMap(\.uuid)
                    throw NVProxyError(
                        .badRequest(
                            source: sources.joined(separator: ", "),
                            reason:
                                "asks for GPU \(uuid) but no GPU in \(inventory.host.procRoot)/driver/nvidia/gpus has that UUID"
                                + (known.isEmpty ? "" : " (known: \(known.joined(separator: ", ")))")))
                }
            }
            if let match, !chosen.contains(where: { $0.index == match.index }) { chosen.append(match) }
        }
        return chosen.sorted { $0.index < $1.index }
    }

    /// Adds a comma-separated `NVIDIA_VISIBLE_DEVICES`-style list; false when it asks for nothing (empty, `void`).
    private mutating func addList(_ value: String, source: String) throws(NVProxyError) -> Bool {
        let items = value.split(separator: ",").map(Text.trimmed).filter { !$0.isEmpty && $0 != "void" }
        guard !items.isEmpty else { return false }
        for item in items {
            switch item {
            case "all": all = true
            case "none": break
            default:
                if let index = Text.decimal(item[...]) {
                    guard index <= NVIDIADevice.maxGPUMinor else {
                        throw NVProxyError(
                            .badRequest(source: source, reason: "GPU index \(index) is out of range (0-247)"))
                    }
                    add(.index(index))
                } else if item.hasPrefix("GPU-"), item.count > 4 {
                    add(.uuid(item))
                } else if item.hasPrefix("MIG-") || item.contains(":") {
                    throw NVProxyError(
                        .badRequest(source: source, reason: "\(item) is a MIG device; nvproxy does not support MIG"))
                } else {
                    throw NVProxyError(
                        .badRequest(
                            source: source,
                            reason: "\"\(item)\" is not a GPU; expected all, none, void, GPU indexes or GPU-<uuid>"))
                }
            }
        }
        return true
    }

    private mutating func add(_ selector: Selector) {
        if !selectors.contains(selector) { selectors.append(selector) }
    }

    /// `process.env` as a dictionary; the last definition of a name wins.
    static func environment(_ spec: JSONValue) -> [String: String] {
        var variables: [String: String] = [:]
        for entry in spec["process"]?["env"]?.arrayValue ?? [] {
            guard let text = entry.stringValue, let equals = text.firstIndex(of: "=") else { continue }
            variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        return variables
    }
}
