import OCI

/// Which GPUs a container asks for, gathered from every place the NVIDIA tooling writes it into an OCI spec, under
/// the NVIDIA container toolkit's rules for which of them count (see ``GPURequestPolicy``).
///
/// The device plugin's allocation is the ceiling; it arrives as
/// - `linux.devices` entries under `/dev/nvidia*` (device plugin `DeviceSpec`s, GKE style);
/// - CDI annotations `cdi.k8s.io/<plugin>` = `nvidia.com/gpu=<index|GPU-uuid|all>,...` (the device plugin's
///   `cdi-annotations` strategy; containerd 1.6 passes them through unprocessed);
/// - the device plugin's `volume-mounts` strategy: `/dev/null` mounted at `/var/run/nvidia-container-devices/<id>`,
///   counted only where the operator accepts volume mounts, as in the toolkit.
///
/// `NVIDIA_VISIBLE_DEVICES` in `process.env` (`all`, `none` for the driver only, indexes, `GPU-<uuid>`; empty and
/// `void` ask for nothing) is written by the image and the pod, so it counts only for privileged containers or
/// where the operator accepts it, and next to an allocation it may not name a GPU outside it.
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

    /// An accepted `NVIDIA_VISIBLE_DEVICES` next to a device-plugin allocation: checked against the allocation
    /// when the GPUs are resolved, and never a reason to grant more.
    public struct EnvironmentRequest: Sendable, Hashable {
        public var all: Bool
        public var selectors: [Selector]
        /// `<file>: process.env NVIDIA_VISIBLE_DEVICES=<value>`.
        public var source: String

        public init(all: Bool = false, selectors: [Selector] = [], source: String) {
            self.all = all
            self.selectors = selectors
            self.source = source
        }
    }

    /// What ``detect(in:file:policy:)`` found: the request that counts, and the requests it refused.
    public struct Detection: Sendable, Hashable {
        /// nil when nothing that counts asks for a GPU.
        public var request: GPURequest?
        /// Requests left out under the toolkit's rules (``NVProxyError/Problem/environmentNotAccepted(file:value:)``,
        /// ``NVProxyError/Problem/volumeMountNotAccepted(file:destination:reason:)``), for the log.
        public var refused: [NVProxyError]

        public init(request: GPURequest?, refused: [NVProxyError] = []) {
            self.request = request
            self.refused = refused
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
    /// An accepted `NVIDIA_VISIBLE_DEVICES` that must stay within the allocation above; nil when there is none,
    /// or when the variable is itself the request (no allocation in the spec).
    public var environment: EnvironmentRequest?

    public init(
        all: Bool = false, selectors: [Selector] = [], sources: [String] = [], unsupportedDevices: [String] = [],
        environment: EnvironmentRequest? = nil
    ) {
        self.all = all
        self.selectors = selectors
        self.sources = sources
        self.unsupportedDevices = unsupportedDevices
        self.environment = environment
    }

    public static let visibleDevicesVariable = "NVIDIA_VISIBLE_DEVICES"
    public static let cdiAnnotationPrefix = "cdi.k8s.io/"
    public static let cdiGPUKind = "nvidia.com/gpu"
    public static let volumeMountDirectory = "/var/run/nvidia-container-devices/"

    /// The request in `spec` (a bundle's `config.json`, named `file` in errors) under `policy`.
    ///
    /// Throws for what nvproxy cannot do, naming the field: MIG devices, other NVIDIA CDI kinds, malformed
    /// lists. Requests the toolkit's rules leave out are not errors (every CUDA image sets
    /// `NVIDIA_VISIBLE_DEVICES=all`); they come back in ``Detection/refused``.
    public static func detect(
        in spec: JSONValue, file: String, policy: GPURequestPolicy = GPURequestPolicy()
    ) throws(NVProxyError) -> Detection {
        var request = GPURequest()
        var allocated = false
        var refused: [NVProxyError] = []

        if let devices = spec["linux"]?["devices"]?.arrayValue {
            for device in devices {
                guard let path = device["path"]?.stringValue, path.hasPrefix("/dev/nvidia") else { continue }
                allocated = true
                request.sources.append("linux.devices \(path)")
                let name = path.dropFirst("/dev/nvidia".count)
                if let index = Text.decimal(name) {
                    request.add(.index(index))
                } else if name != "ctl", name != "-uvm" {
                    request.unsupportedDevices.append(path)
                }
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
                        allocated = true
                        request.sources.append("CDI \(name)")
                    }
                }
            }
        }

        // The toolkit's DevicesFromMounts: cleaned paths, /dev/null sources only, each destination once.
        var seen: Set<String> = []
        for mount in spec["mounts"]?.arrayValue ?? [] {
            guard let raw = mount["destination"]?.stringValue else { continue }
            let destination = Text.cleanPath(raw)
            guard destination.hasPrefix(volumeMountDirectory), seen.insert(destination).inserted else { continue }
            let id = String(destination.dropFirst(volumeMountDirectory.count))
            let source = Text.cleanPath(mount["source"]?.stringValue ?? "")
            guard source == GPURequestPolicy.volumeMountSource else {
                refused.append(
                    NVProxyError(
                        .volumeMountNotAccepted(
                            file: file, destination: destination,
                            reason: "its source is \"\(source)\", not \(GPURequestPolicy.volumeMountSource)")))
                continue
            }
            guard policy.acceptVolumeMounts else {
                refused.append(
                    NVProxyError(
                        .volumeMountNotAccepted(
                            file: file, destination: destination,
                            reason: "runsc.toml does not set \(GPURequestPolicy.volumeMountsKey) = true")))
                continue
            }
            if try request.addList(id, source: "\(file): mounts \(destination)") {
                allocated = true
                request.sources.append("mount \(destination)")
            }
        }

        // The volume-mounts strategy sets the variable to the mount directory; the mounts carry the list.
        if let value = environment(spec)[visibleDevicesVariable], value != String(volumeMountDirectory.dropLast()),
            Self.asksForSomething(value)
        {
            let source = "\(file): process.env \(visibleDevicesVariable)=\(value)"
            if !(policy.acceptEnvironmentWhenUnprivileged || isPrivileged(spec)) {
                refused.append(NVProxyError(.environmentNotAccepted(file: file, value: value)))
            } else if allocated {
                var asked = GPURequest()
                _ = try asked.addList(value, source: source)
                request.environment = EnvironmentRequest(all: asked.all, selectors: asked.selectors, source: source)
            } else if try request.addList(value, source: source) {
                allocated = true
                request.sources.append("\(visibleDevicesVariable)=\(value)")
            }
        }
        return Detection(request: allocated ? request : nil, refused: refused)
    }

    /// The toolkit's `isPrivileged`: `CAP_SYS_ADMIN` in `process.capabilities.bounding` (a plain list before OCI
    /// 1.0.0-rc5), or no `process.capabilities` at all.
    public static func isPrivileged(_ spec: JSONValue) -> Bool {
        guard let capabilities = spec["process"]?["capabilities"], capabilities != .null else { return true }
        let list = capabilities.arrayValue ?? capabilities["bounding"]?.arrayValue ?? []
        return list.contains { $0.stringValue == "CAP_SYS_ADMIN" }
    }

    /// Whether an `NVIDIA_VISIBLE_DEVICES` value names anything (empty and `void` do not).
    static func asksForSomething(_ value: String) -> Bool {
        value.split(separator: ",").map(Text.trimmed).contains { !$0.isEmpty && $0 != "void" }
    }

    /// The GPUs of `inventory` this request names, by index; throws naming the GPU the host lacks, or the GPU an
    /// accepted `NVIDIA_VISIBLE_DEVICES` names outside the device plugin's allocation.
    public func resolve(against inventory: GPUInventory) throws(NVProxyError) -> [NVIDIAGPU] {
        let chosen = try resolveSelectors(against: inventory)
        guard let environment, !environment.all else { return chosen }
        for selector in environment.selectors {
            let gpu: NVIDIAGPU? =
                switch selector {
                case .index(let index): inventory.gpus.first { $0.index == index }
                case .uuid(let uuid): inventory.gpus.first { $0.uuid?.lowercased() == uuid.lowercased() }
                }
            guard let gpu, chosen.contains(where: { $0.index == gpu.index }) else {
                let allocated =
                    chosen.isEmpty ? "no GPU (driver only)" : chosen.map { "\($0.index)" }.joined(separator: ", ")
                throw NVProxyError(
                    .exceedsAllocation(source: environment.source, gpu: selector.description, allocated: allocated))
            }
        }
        return chosen
    }

    private func resolveSelectors(against inventory: GPUInventory) throws(NVProxyError) -> [NVIDIAGPU] {
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
