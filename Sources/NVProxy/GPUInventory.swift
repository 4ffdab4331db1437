/// What a host has for nvproxy: the driver version, the device nodes gVisor can pass through, and those it
/// cannot. Made by ``discover(on:)``; the shim checks GPU containers against it and `gvisor-node doctor`
/// prints it.
public struct GPUInventory: Sendable, Hashable {
    public var host: NVProxyHost
    /// The loaded kernel module's version; nil when no NVIDIA driver is loaded.
    public var driverVersion: NVIDIADriverVersion?
    /// The file the version was read from.
    public var driverVersionSource: String?
    /// `/dev/nvidiactl`.
    public var control: NVIDIADevice?
    /// `/dev/nvidia-uvm`.
    public var uvm: NVIDIADevice?
    /// `/dev/nvidiaN`, by index.
    public var gpus: [NVIDIAGPU]
    /// NVIDIA nodes gVisor does not expose (`nvidia-modeset`, `nvidia-uvm-tools`, `nvidia-caps/*`, ...).
    public var unsupported: [NVIDIADevice]
    /// `nvidia-uvm`'s major number from `/proc/devices` (it is assigned when the module loads).
    public var uvmMajor: UInt32?
    /// Things found that do not add up (a node with the wrong numbers, an unreadable version file), one
    /// sentence each naming the path; empty on a healthy host and on a host without NVIDIA hardware.
    public var problems: [String]

    public init(
        host: NVProxyHost, driverVersion: NVIDIADriverVersion? = nil, driverVersionSource: String? = nil,
        control: NVIDIADevice? = nil, uvm: NVIDIADevice? = nil, gpus: [NVIDIAGPU] = [],
        unsupported: [NVIDIADevice] = [], uvmMajor: UInt32? = nil, problems: [String] = []
    ) {
        self.host = host
        self.driverVersion = driverVersion
        self.driverVersionSource = driverVersionSource
        self.control = control
        self.uvm = uvm
        self.gpus = gpus
        self.unsupported = unsupported
        self.uvmMajor = uvmMajor
        self.problems = problems
    }

    /// True when nothing NVIDIA was found at all: no driver, no nodes.
    public var isEmpty: Bool {
        driverVersion == nil && control == nil && uvm == nil && gpus.isEmpty && unsupported.isEmpty
    }

    /// The nodes every GPU container gets (`nvidiactl`, `nvidia-uvm`), or why they cannot be given.
    public func requiredDevices() throws(NVProxyError) -> [NVIDIADevice] {
        var missing: [String] = []
        if control == nil { missing.append("\(host.deviceRoot)/nvidiactl (character device 195:255)") }
        if uvm == nil {
            missing.append(
                "\(host.deviceRoot)/nvidia-uvm (character device with the nvidia-uvm major from \(host.procRoot)/devices)"
            )
        }
        guard missing.isEmpty, let control, let uvm else {
            let extra = problems.isEmpty ? "" : "; " + problems.joined(separator: "; ")
            throw NVProxyError(.noDriver(reason: "missing " + missing.joined(separator: " and ") + extra))
        }
        return [control, uvm]
    }
}
