import HostOS

extension GPUInventory {
    /// Looks at the host: NVIDIA nodes under the device root (major 195, `nvidia-uvm` with the major
    /// `/proc/devices` gives it, `nvidia-caps/`), the driver version (`/proc/driver/nvidia/version`, else
    /// `/sys/module/nvidia/version`) and per-GPU facts (`/proc/driver/nvidia/gpus/*/information`).
    ///
    /// Never throws: a host without NVIDIA hardware gives an empty inventory, and anything inconsistent is
    /// left out and described in ``problems``, so `doctor` can print all of it.
    public static func discover(on host: NVProxyHost = NVProxyHost()) -> GPUInventory {
        var inventory = GPUInventory(host: host)
        let devicesFile = "\(host.procRoot)/devices"
        if let text = HostFile.readText(devicesFile) {
            inventory.uvmMajor = characterMajors(inProcDevices: text)["nvidia-uvm"]
        }
        inventory.readDriverVersion()
        var info = inventory.readGPUInformation()

        for name in (try? Directory.entries(host.deviceRoot)) ?? [] where name.hasPrefix("nvidia") {
            let hostPath = "\(host.deviceRoot)/\(name)"
            guard let status = FileSystem.status(hostPath) else { continue }
            if status.kind == .directory {
                // nvidia-caps/ (MIG capabilities), nvidia-caps-imex-channels/: never passed through.
                for child in (try? Directory.entries(hostPath)) ?? [] {
                    if let node = node(at: "\(hostPath)/\(child)", containerPath: "/dev/\(name)/\(child)") {
                        inventory.unsupported.append(node)
                    }
                }
                continue
            }
            guard var device = node(at: hostPath, containerPath: "/dev/\(name)") else {
                inventory.problems.append("\(hostPath) is not a character device")
                continue
            }
            let numbers = "\(device.major):\(device.minor)"
            if name == "nvidiactl" {
                guard device.major == NVIDIADevice.nvidiaMajor, device.minor == NVIDIADevice.controlMinor else {
                    inventory.problems.append("\(hostPath) is \(numbers), expected 195:255")
                    continue
                }
                device.kind = .control
                inventory.control = device
            } else if name == "nvidia-uvm" {
                guard let major = inventory.uvmMajor else {
                    inventory.problems.append(
                        "\(hostPath) exists but \(devicesFile) lists no nvidia-uvm (is the nvidia-uvm module loaded?)")
                    continue
                }
                guard device.major == major, device.minor == 0 else {
                    inventory.problems.append(
                        "\(hostPath) is \(numbers), expected \(major):0 (nvidia-uvm's major in \(devicesFile))")
                    continue
                }
                device.kind = .uvm
                inventory.uvm = device
            } else if let index = Text.decimal(name.dropFirst("nvidia".count)) {
                guard device.major == NVIDIADevice.nvidiaMajor, device.minor == index,
                    index <= NVIDIADevice.maxGPUMinor
                else {
                    inventory.problems.append("\(hostPath) is \(numbers), expected 195:\(index) (GPU minors are 0-247)")
                    continue
                }
                device.kind = .gpu(index: index)
                let facts = info.removeValue(forKey: index)
                inventory.gpus.append(
                    NVIDIAGPU(
                        index: index, device: device, uuid: facts?.uuid, model: facts?.model,
                        busLocation: facts?.busLocation))
            } else {
                inventory.unsupported.append(device)
            }
        }
        inventory.gpus.sort { $0.index < $1.index }
        for (minor, facts) in info.sorted(by: { $0.key < $1.key }) {
            inventory.problems.append(
                "the driver reports GPU \(facts.busLocation ?? "?") with minor \(minor) but \(host.deviceRoot)/nvidia\(minor) does not exist"
            )
        }
        return inventory
    }

    /// Character-device majors by driver name from `/proc/devices` (the `Character devices:` block).
    public static func characterMajors(inProcDevices text: String) -> [String: UInt32] {
        var majors: [String: UInt32] = [:]
        var inCharacterBlock = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("Character devices:") {
                inCharacterBlock = true
                continue
            }
            if line.hasSuffix("devices:") {
                inCharacterBlock = false
                continue
            }
            guard inCharacterBlock else { continue }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.count == 2, let major = UInt32(words[0]) { majors[String(words[1])] = major }
        }
        return majors
    }

    private mutating func readDriverVersion() {
        let procFile = "\(host.procRoot)/driver/nvidia/version"
        if let text = HostFile.readText(procFile) {
            if let version = NVIDIADriverVersion.parseProcVersion(text) {
                driverVersion = version
                driverVersionSource = procFile
                return
            }
            problems.append("\(procFile) has no \"NVRM version:\" line with a driver version")
        }
        let sysFile = "\(host.sysRoot)/module/nvidia/version"
        if let text = HostFile.readText(sysFile) {
            let trimmed = Text.trimmed(text)
            if let version = NVIDIADriverVersion(trimmed) {
                driverVersion = version
                driverVersionSource = sysFile
            } else {
                problems.append("\(sysFile) holds \"\(trimmed)\", expected a driver version like 535.129.03")
            }
        }
    }

    struct GPUFacts {
        var uuid: String?
        var model: String?
        var busLocation: String?
    }

    /// `information` files by `Device Minor`.
    private mutating func readGPUInformation() -> [UInt32: GPUFacts] {
        let directory = "\(host.procRoot)/driver/nvidia/gpus"
        var facts: [UInt32: GPUFacts] = [:]
        for bus in (try? Directory.entries(directory)) ?? [] {
            let file = "\(directory)/\(bus)/information"
            guard let text = HostFile.readText(file) else { continue }
            var fields: [String: String] = [:]
            for line in text.split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let key = Text.trimmed(line[..<colon])
                fields[key] = Text.trimmed(line[line.index(after: colon)...])
            }
            guard let minorText = fields["Device Minor"], let minor = Text.decimal(minorText[...]) else {
                problems.append("\(file) has no \"Device Minor\" number")
                continue
            }
            facts[minor] = GPUFacts(
                uuid: fields["GPU UUID"], model: fields["Model"], busLocation: fields["Bus Location"] ?? bus)
        }
        return facts
    }

    /// A character device's numbers, mode and owner; nil for anything else.
    private static func node(at hostPath: String, containerPath: String) -> NVIDIADevice? {
        guard let status = FileSystem.status(hostPath), status.kind == .characterDevice else { return nil }
        return NVIDIADevice(
            kind: .unsupported, containerPath: containerPath, hostPath: hostPath,
            major: status.deviceMajor, minor: status.deviceMinor, fileMode: UInt32(status.permissions),
            uid: status.owner, gid: status.group)
    }
}
