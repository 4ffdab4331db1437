import Foundation
import NVProxy
import Testing

@Suite struct DiscoveryTests {
    @Test func findsTheNodesTheDriverAndTheGPUFacts() throws {
        let fake = try FakeGPUHost.twoGPUs()
        let inventory = GPUInventory.discover(on: fake.host)
        #expect(inventory.problems == [])
        #expect(inventory.driverVersion == version("535.129.03"))
        #expect(inventory.driverVersionSource == "\(fake.root)/proc/driver/nvidia/version")
        #expect(inventory.uvmMajor == 507)
        #expect(
            inventory.control
                == NVIDIADevice(
                    kind: .control, containerPath: "/dev/nvidiactl", hostPath: "\(fake.root)/dev/nvidiactl",
                    major: 195, minor: 255, fileMode: 0o666))
        #expect(
            inventory.uvm
                == NVIDIADevice(
                    kind: .uvm, containerPath: "/dev/nvidia-uvm", hostPath: "\(fake.root)/dev/nvidia-uvm", major: 507,
                    minor: 0, fileMode: 0o666))
        #expect(inventory.gpus.map(\.index) == [0, 1])
        #expect(inventory.gpus.map(\.device.kind) == [.gpu(index: 0), .gpu(index: 1)])
        #expect(inventory.gpus.map(\.device.fileMode) == [0o666, 0o660])
        #expect(inventory.gpus.map(\.uuid) == [FakeGPUHost.uuid0, FakeGPUHost.uuid1])
        #expect(inventory.gpus.map(\.model) == ["Tesla T4", "Tesla T4"])
        #expect(inventory.gpus.map(\.busLocation) == ["0000:3b:00.0", "0000:af:00.0"])
        #expect(
            inventory.unsupported.map(\.containerPath)
                == ["/dev/nvidia-caps/nvidia-cap1", "/dev/nvidia-modeset", "/dev/nvidia-uvm-tools"])
        #expect(inventory.unsupported.map { "\($0.major):\($0.minor)" } == ["508:1", "195:254", "507:1"])
        #expect(try inventory.requiredDevices().map(\.containerPath) == ["/dev/nvidiactl", "/dev/nvidia-uvm"])
    }

    @Test func readsTheVersionFromSysfsWhenProcfsHasNone() throws {
        let fake = try FakeGPUHost()
        try fake.node("nvidiactl", 195, 255)
        try fake.write("sys/module/nvidia/version", "550.54.14\n")
        let inventory = GPUInventory.discover(on: fake.host)
        #expect(inventory.driverVersion == version("550.54.14"))
        #expect(inventory.driverVersionSource == "\(fake.root)/sys/module/nvidia/version")
    }

    @Test func anEmptyHostIsEmptyAndHealthy() throws {
        let fake = try FakeGPUHost()
        try fake.write("proc/devices", "Character devices:\n  1 mem\n\nBlock devices:\n  8 sd\n")
        try fake.node("null", 1, 3)
        let inventory = GPUInventory.discover(on: fake.host)
        #expect(inventory.isEmpty)
        #expect(inventory.problems == [])
        #expect(
            errorText { _ = try inventory.requiredDevices() }
                == "no usable NVIDIA driver on this host: missing \(fake.root)/dev/nvidiactl (character device 195:255)"
                + " and \(fake.root)/dev/nvidia-uvm (character device with the nvidia-uvm major from \(fake.root)/proc/devices)"
        )
    }

    @Test func nodesWithTheWrongNumbersAreProblemsNotDevices() throws {
        let fake = try FakeGPUHost()
        try fake.write("proc/devices", FakeGPUHost.procDevices)
        try fake.node("nvidiactl", 195, 0)
        try fake.node("nvidia-uvm", 506, 0)
        try fake.node("nvidia3", 195, 4)
        try fake.write("dev/nvidia2", "not a device\n")
        try fake.write("proc/driver/nvidia/version", "something else\n")
        try fake.write(
            "proc/driver/nvidia/gpus/0000:01:00.0/information",
            FakeGPUHost.information(minor: 7, uuid: "GPU-x", bus: "0000:01:00.0"))
        let inventory = GPUInventory.discover(on: fake.host)
        #expect(inventory.control == nil)
        #expect(inventory.uvm == nil)
        #expect(inventory.gpus == [])
        #expect(inventory.driverVersion == nil)
        let dev = "\(fake.root)/dev"
        #expect(
            inventory.problems == [
                "\(fake.root)/proc/driver/nvidia/version has no \"NVRM version:\" line with a driver version",
                "\(dev)/nvidia-uvm is 506:0, expected 507:0 (nvidia-uvm's major in \(fake.root)/proc/devices)",
                "\(dev)/nvidia2 is not a character device",
                "\(dev)/nvidia3 is 195:4, expected 195:3 (GPU minors are 0-247)",
                "\(dev)/nvidiactl is 195:0, expected 195:255",
                "the driver reports GPU 0000:01:00.0 with minor 7 but \(dev)/nvidia7 does not exist",
            ])
    }

    @Test func uvmWithoutTheModuleInProcDevicesIsAProblem() throws {
        let fake = try FakeGPUHost()
        try fake.write("proc/devices", "Character devices:\n195 nvidia-frontend\n")
        try fake.node("nvidia-uvm", 507, 0)
        let inventory = GPUInventory.discover(on: fake.host)
        #expect(inventory.uvm == nil)
        #expect(
            inventory.problems == [
                "\(fake.root)/dev/nvidia-uvm exists but \(fake.root)/proc/devices lists no nvidia-uvm (is the nvidia-uvm module loaded?)"
            ])
    }

    @Test func procDevicesOnlyCharacterBlock() {
        let majors = GPUInventory.characterMajors(inProcDevices: FakeGPUHost.procDevices)
        #expect(majors["nvidia-uvm"] == 507)
        #expect(majors["nvidia-frontend"] == 195)
        #expect(majors["/dev/vc/0"] == 4)
        #expect(majors["notnvidia-uvm-block"] == nil)
        #expect(majors["sd"] == nil)
    }

    @Test(arguments: [
        ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.129.03  Thu Oct 19 18:56:32 UTC 2023\n", "535.129.03"),
        (
            "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.14  Release Build  (dvs-builder@U16)\n",
            "550.54.14"
        ),
        ("NVRM version: NVIDIA UNIX aarch64 Kernel Module  570.86.15  Tue Jan 14 2025\nGCC version: 12\n", "570.86.15"),
    ])
    func driverBanner(banner: String, expected: String) {
        #expect(NVIDIADriverVersion.parseProcVersion(banner) == version(expected))
    }

    @Test func versionsCompareAsNumbersAndKeepTheirSpelling() {
        #expect(version("535.129.03") < version("535.183.01"))
        #expect(version("535.183.01") < version("550.54.14"))
        #expect(version("535.129.03").description == "535.129.03")
        #expect(version("535.129.03") != version("535.129.3"))
        for bad in ["", "535", "535.", "a.b.c", "535.129.03.1.2", "-1.2", "535.1 29"] {
            #expect(NVIDIADriverVersion(bad) == nil, "\(bad)")
        }
        #expect(NVIDIADriverVersion.parseProcVersion("GCC version: 12.2.0\n") == nil)
    }
}
