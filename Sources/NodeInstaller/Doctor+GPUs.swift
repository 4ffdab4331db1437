import HostOS
import NVProxy

extension Doctor {
    /// NVIDIA GPUs and driver (always reported), and, when runsc.toml turns nvproxy on, whether the installed
    /// runsc has nvproxy and supports the loaded driver.
    public static let gpus = Check(id: "gpus", title: "GPUs and nvproxy") { context in
        let settings = NVProxySettings(runscConfig: installedRunscConfig(context))
        let host =
            FileSystem.isDirectory(context.layout.onHost("/proc/driver"))
                || FileSystem.exists(context.layout.onHost("/dev"))
            ? NVProxyHost(hostRoot: context.layout.hostRoot) : NVProxyHost()
        let inventory = GPUInventory.discover(on: host)
        var details = [
            Detail("nvproxy", settings.enabled ? "on" : "off"),
            Detail("driver", inventory.driverVersion?.text ?? "none"),
            Detail("gpus", "\(inventory.gpus.count)"),
        ]
        if !inventory.problems.isEmpty {
            details.append(Detail("problems", inventory.problems.joined(separator: "; ")))
        }
        let facts =
            inventory.isEmpty
            ? "no NVIDIA driver or device"
            : "NVIDIA driver \(inventory.driverVersion?.text ?? "not loaded"), \(inventory.gpus.count) GPU(s)"
        guard settings.enabled else { return Result(.info, "nvproxy off; \(facts)", details: details) }

        let runsc = context.layout.onHost(context.layout.binDirectory + "/" + NodeLayout.runscName)
        let support: NVProxySupport
        do {
            support = try await NVProxySupport.probe(runsc: runsc)
        } catch {
            return Result(.failed, "nvproxy is on but runsc could not be asked: \(error)", details: details)
        }
        guard support.hasNVProxy else {
            return Result(.failed, "nvproxy is on but the installed runsc has no nvproxy", details: details)
        }
        guard let driver = inventory.driverVersion else {
            return Result(.failed, "nvproxy is on but no NVIDIA driver is loaded; \(facts)", details: details)
        }
        do {
            _ = try inventory.requiredDevices()
        } catch {
            return Result(.failed, "nvproxy is on but \(error)", details: details)
        }
        switch support.verdict(for: driver) {
        case .supported:
            return Result(.ok, "nvproxy on; \(facts); runsc supports this driver", details: details)
        case .unknown:
            return Result(.warning, "nvproxy on; \(facts); this runsc cannot list its drivers", details: details)
        case .unsupported(let supported):
            details.append(Detail("supported", supported.map(\.text).joined(separator: ", ")))
            return Result(.failed, "NVIDIA driver \(driver) is not supported by the installed runsc", details: details)
        case .runscLacksNVProxy:
            return Result(.failed, "nvproxy is on but the installed runsc has no nvproxy", details: details)
        }
    }
}
