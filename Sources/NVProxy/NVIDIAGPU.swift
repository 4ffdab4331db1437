/// One GPU on the host: its device node and what the driver says about it in
/// `/proc/driver/nvidia/gpus/<bus>/information` (absent fields are nil).
public struct NVIDIAGPU: Sendable, Hashable {
    /// The index in `NVIDIA_VISIBLE_DEVICES` and the `N` of `/dev/nvidiaN`: the node's minor number.
    public var index: UInt32
    public var device: NVIDIADevice
    /// `GPU-<uuid>`, the other spelling `NVIDIA_VISIBLE_DEVICES` and CDI names accept.
    public var uuid: String?
    /// e.g. `Tesla T4`.
    public var model: String?
    /// PCI address, e.g. `0000:3b:00.0`.
    public var busLocation: String?

    public init(
        index: UInt32, device: NVIDIADevice, uuid: String? = nil, model: String? = nil, busLocation: String? = nil
    ) {
        self.index = index
        self.device = device
        self.uuid = uuid
        self.model = model
        self.busLocation = busLocation
    }
}
