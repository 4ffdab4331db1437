import NVProxy
import Synchronization
import Testing

/// Counts how often the plan asked for runsc's support and for the host inventory.
final class Calls: Sendable {
    let support = Atomic<Int>(0)
    let inventory = Atomic<Int>(0)
}

@Suite struct NVProxyPlanTests {
    static let gpuSpec = Array(#"{"process":{"env":["NVIDIA_VISIBLE_DEVICES=0"]},"linux":{}}"#.utf8)
    static let plainSpec = Array(#"{"process":{"env":["PATH=/bin"]},"linux":{"devices":[]}}"#.utf8)
    static let supported = NVProxySupport.supported(drivers: [version("535.129.03"), version("550.54.14")])

    static func make(
        _ specBytes: [UInt8], settings: NVProxySettings = NVProxySettings(enabled: true),
        support: NVProxySupport = supported, host: NVProxyHost, calls: Calls = Calls()
    ) async throws(NVProxyError) -> NVProxyPlan {
        try await NVProxyPlan.make(
            specBytes: specBytes, file: "/b/config.json", settings: settings, runsc: "/usr/bin/runsc",
            support: {
                calls.support.add(1, ordering: .relaxed)
                return support
            },
            inventory: {
                calls.inventory.add(1, ordering: .relaxed)
                return GPUInventory.discover(on: host)
            })
    }

    static func errorOf(_ body: () async throws(NVProxyError) -> NVProxyPlan) async -> String {
        do {
            _ = try await body()
            return "no error"
        } catch { return error.description }
    }

    @Test func nvproxyOffLeavesEvenGPUContainersAlone() async throws {
        let fake = try FakeGPUHost.twoGPUs()
        let calls = Calls()
        let plan = try await Self.make(
            Self.gpuSpec, settings: NVProxySettings(enabled: false), host: fake.host, calls: calls)
        #expect(plan == NVProxyPlan())
        #expect(calls.support.load(ordering: .relaxed) == 0)
        #expect(calls.inventory.load(ordering: .relaxed) == 0)
    }

    @Test func aGPULessContainerIsUntouchedAndKeepsTheFlagWhenRunscHasNVProxy() async throws {
        let fake = try FakeGPUHost.twoGPUs()
        let calls = Calls()
        let plan = try await Self.make(Self.plainSpec, host: fake.host, calls: calls)
        #expect(plan == NVProxyPlan(request: nil, rewrite: nil, keepsNVProxyFlags: true, notes: []))
        // Only to see that the node has the NVIDIA control device runsc opens at boot.
        #expect(calls.inventory.load(ordering: .relaxed) == 1)
    }

    /// runsc 20240729 with --nvproxy fails every sandbox on a node without /dev/nvidiactl ("failed to get Nvidia
    /// driver version: failed to open /dev/nvidiactl", seen in the end-to-end test 41).
    @Test func aGPULessContainerDropsTheFlagOnANodeWithoutTheNVIDIADriver() async throws {
        let fake = try FakeGPUHost()
        let plan = try await Self.make(Self.plainSpec, host: fake.host)
        #expect(plan.rewrite == nil)
        #expect(!plan.keepsNVProxyFlags)
        #expect(
            plan.notes == [
                "this node has no usable NVIDIA control device; the nvproxy flags of [runsc_config] are not passed for this container, which asks for no GPU"
            ])
    }

    @Test func aGPULessContainerDropsTheFlagWhenRunscLacksNVProxy() async throws {
        let fake = try FakeGPUHost()
        let plan = try await Self.make(Self.plainSpec, support: .unavailable, host: fake.host)
        #expect(plan.rewrite == nil)
        #expect(!plan.keepsNVProxyFlags)
        #expect(
            plan.notes == [
                "/usr/bin/runsc has no nvproxy; the nvproxy flags of [runsc_config] are not passed for this container, which asks for no GPU"
            ])
    }

    @Test func nvproxyFalseOnARunscWithoutNVProxyDropsTheFlagAndIgnoresGPUs() async throws {
        let fake = try FakeGPUHost.twoGPUs()
        let calls = Calls()
        let off = NVProxySettings(enabled: false, hasNVProxyFlags: true)
        let plan = try await Self.make(
            Self.gpuSpec, settings: off, support: .unavailable, host: fake.host, calls: calls)
        #expect(plan.rewrite == nil)
        #expect(plan.request == nil)
        #expect(!plan.keepsNVProxyFlags)
        #expect(calls.support.load(ordering: .relaxed) == 1)
        #expect(calls.inventory.load(ordering: .relaxed) == 0)
        let kept = try await Self.make(Self.gpuSpec, settings: off, host: fake.host)
        #expect(kept == NVProxyPlan())
    }

    @Test func aGPUContainerNeedsARunscWithNVProxy() async throws {
        let fake = try FakeGPUHost.twoGPUs()
        let calls = Calls()
        let message = await Self.errorOf { () async throws(NVProxyError) in
            try await Self.make(Self.gpuSpec, support: .unavailable, host: fake.host, calls: calls)
        }
        #expect(
            message
                == "nvproxy is requested (runsc.toml [runsc_config] nvproxy = true and the container asks for GPUs) but "
                + "/usr/bin/runsc has no nvproxy support (no `nvproxy` subcommand, no --nvproxy flag); "
                + "install a runsc release with nvproxy (2023 or later)")
    }

    @Test func aGPUContainerOnASupportedDriverGetsItsDevices() async throws {
        let fake = try FakeGPUHost.twoGPUs()
        let plan = try await Self.make(Self.gpuSpec, host: fake.host)
        #expect(plan.keepsNVProxyFlags)
        #expect(plan.request == GPURequest(selectors: [.index(0)], sources: ["NVIDIA_VISIBLE_DEVICES=0"]))
        let devices = try #require(plan.rewrite).devices
        #expect(devices.map(\.containerPath) == ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia0"])
        #expect(devices.map { "\($0.major):\($0.minor)" } == ["195:255", "507:0", "195:0"])
    }

    @Test func anUnsupportedDriverFailsWithTheList() async throws {
        let fake = try FakeGPUHost.twoGPUs(driver: "590.48.01")
        let message = await Self.errorOf { () async throws(NVProxyError) in
            try await Self.make(Self.gpuSpec, host: fake.host)
        }
        #expect(message == "NVIDIA driver 590.48.01 is not supported by this runsc; supported: 535.129.03, 550.54.14")
    }

    @Test func anOperatorOverrideSkipsTheDriverCheck() async throws {
        let fake = try FakeGPUHost.twoGPUs(driver: "590.48.01")
        let plan = try await Self.make(
            Self.gpuSpec, settings: NVProxySettings(enabled: true, skipsDriverCheck: true), host: fake.host)
        #expect(plan.rewrite != nil)
        #expect(plan.notes == ["NVIDIA driver 590.48.01 not checked: [runsc_config] pins or allows the driver"])
    }

    @Test func aHostWithoutDriverFailsNamingTheFiles() async throws {
        let fake = try FakeGPUHost()
        let message = await Self.errorOf { () async throws(NVProxyError) in
            try await Self.make(Self.gpuSpec, host: fake.host)
        }
        #expect(
            message
                == "no usable NVIDIA driver on this host: no driver version in \(fake.root)/proc/driver/nvidia/version"
                + " or \(fake.root)/sys/module/nvidia/version (is the nvidia module loaded?)")
    }

    @Test func allOnAHostWithoutGPUNodesFails() async throws {
        let fake = try FakeGPUHost()
        try fake.write("proc/devices", FakeGPUHost.procDevices)
        try fake.write("sys/module/nvidia/version", "535.129.03\n")
        try fake.node("nvidiactl", 195, 255)
        try fake.node("nvidia-uvm", FakeGPUHost.uvmMajor, 0)
        let all = Array(#"{"process":{"env":["NVIDIA_VISIBLE_DEVICES=all"]}}"#.utf8)
        let message = await Self.errorOf { () async throws(NVProxyError) in try await Self.make(all, host: fake.host) }
        #expect(message == "NVIDIA_VISIBLE_DEVICES=all: asks for all GPUs but \(fake.root)/dev has no nvidiaN device")
        // `none` is driver access without a GPU: control and uvm only.
        let none = Array(#"{"process":{"env":["NVIDIA_VISIBLE_DEVICES=none"]}}"#.utf8)
        let plan = try await Self.make(none, host: fake.host)
        #expect(try #require(plan.rewrite).devices.map(\.containerPath) == ["/dev/nvidiactl", "/dev/nvidia-uvm"])
    }

    @Test func aBrokenSpecIsNamedOnlyWhenNVProxyIsOn() async throws {
        let fake = try FakeGPUHost()
        let broken = Array("{not json".utf8)
        let plan = try await Self.make(broken, settings: NVProxySettings(enabled: false), host: fake.host)
        #expect(plan == NVProxyPlan())
        let message = await Self.errorOf { () async throws(NVProxyError) in try await Self.make(broken, host: fake.host)
        }
        #expect(message.hasPrefix("/b/config.json: not valid JSON: "), "\(message)")
    }
}
