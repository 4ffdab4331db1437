/// Why a GPU container cannot be given its GPUs, in words an operator can act on.
///
/// The shim fails `Create` with this text instead of letting the sandbox die later with runsc's opaque
/// `waiting for sandbox to start: EOF`.
public struct NVProxyError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Problem: Sendable, Hashable {
        /// nvproxy is on and the container asks for GPUs, but the installed runsc has no nvproxy at all.
        case runscLacksNVProxy(runsc: String)
        /// The host's driver is not in runsc's supported list.
        case unsupportedDriver(version: NVIDIADriverVersion, supported: [NVIDIADriverVersion])
        /// `runsc nvproxy list-supported-drivers` failed for another reason.
        case runscFailed(runsc: String, reason: String)
        /// No NVIDIA driver (no version file) or no `nvidiactl` on the host.
        case noDriver(reason: String)
        /// The container asks for something the host does not have or nvproxy cannot pass through.
        case badRequest(source: String, reason: String)
        /// A host file that exists but cannot be understood (`/proc/devices`, a version file, a device node).
        case invalidHostFile(path: String, reason: String)
        /// The bundle's `config.json` cannot be read or does not have the expected shape.
        case invalidSpec(file: String, reason: String)
        /// `NVIDIA_VISIBLE_DEVICES` of an unprivileged container, which the operator does not accept: ignored
        /// (logged), as the NVIDIA container toolkit does.
        case environmentNotAccepted(file: String, value: String)
        /// A mount under `/var/run/nvidia-container-devices/` that is not a volume-mount request the operator
        /// accepts (another source than `/dev/null`, or volume mounts not accepted): ignored (logged).
        case volumeMountNotAccepted(file: String, destination: String, reason: String)
        /// An accepted `NVIDIA_VISIBLE_DEVICES` names a GPU the device plugin did not allocate: Create fails.
        case exceedsAllocation(source: String, gpu: String, allocated: String)
    }

    public var problem: Problem

    public init(_ problem: Problem) { self.problem = problem }

    public var description: String {
        switch problem {
        case .runscLacksNVProxy(let runsc):
            return "nvproxy is requested (runsc.toml [runsc_config] nvproxy = true and the container asks for GPUs) "
                + "but \(runsc) has no nvproxy support (no `nvproxy` subcommand, no --nvproxy flag); "
                + "install a runsc release with nvproxy (2023 or later)"
        case .unsupportedDriver(let version, let supported):
            let list = supported.isEmpty ? "none" : supported.map(\.description).joined(separator: ", ")
            return "NVIDIA driver \(version) is not supported by this runsc; supported: \(list)"
        case .runscFailed(let runsc, let reason):
            return "\(runsc) nvproxy list-supported-drivers failed: \(reason)"
        case .noDriver(let reason):
            return "no usable NVIDIA driver on this host: \(reason)"
        case .badRequest(let source, let reason):
            return "\(source): \(reason)"
        case .invalidHostFile(let path, let reason):
            return "\(path): \(reason)"
        case .invalidSpec(let file, let reason):
            return "\(file): \(reason)"
        case .environmentNotAccepted(let file, let value):
            return "\(file): process.env \(GPURequest.visibleDevicesVariable)=\(value) ignored: the container is "
                + "unprivileged (no CAP_SYS_ADMIN in process.capabilities.bounding) and runsc.toml does not set "
                + "\(GPURequestPolicy.environmentKey) = true"
        case .volumeMountNotAccepted(let file, let destination, let reason):
            return "\(file): mounts \(destination) is not taken as a GPU request: \(reason)"
        case .exceedsAllocation(let source, let gpu, let allocated):
            return
                "\(source): asks for GPU \(gpu), which the device plugin did not allocate (allocated: \(allocated)); "
                + "the allocation in linux.devices, CDI annotations and volume mounts is the ceiling"
        }
    }
}
