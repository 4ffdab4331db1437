import NVProxy
import Testing

@Suite struct GPURequestTests {
    static func withEnv(_ value: String) -> String {
        #"{"ociVersion":"1.0.2","process":{"args":["sh"],"env":["PATH=/bin","NVIDIA_VISIBLE_DEVICES=\#(value)"]}}"#
    }

    static func detect(_ json: String, policy: GPURequestPolicy = GPURequestPolicy()) throws -> GPURequest? {
        try GPURequest.detect(in: spec(json), file: "config.json", policy: policy).request
    }

    static func detection(_ json: String, policy: GPURequestPolicy = GPURequestPolicy()) throws -> GPURequest.Detection
    {
        try GPURequest.detect(in: spec(json), file: "config.json", policy: policy)
    }

    /// A spec as containerd writes it for an unprivileged container: a bounding set without CAP_SYS_ADMIN.
    static func unprivileged(env: String, devices: [String] = [], bounding: [String] = ["CAP_CHOWN", "CAP_KILL"])
        -> String
    {
        let list = bounding.map { "\"\($0)\"" }.joined(separator: ",")
        let nodes = devices.map { #"{"path":"\#($0)","type":"c","major":195,"minor":0}"# }.joined(separator: ",")
        return #"{"process":{"env":["NVIDIA_VISIBLE_DEVICES=\#(env)"],"capabilities":{"bounding":[\#(list)],"#
            + #""effective":["CAP_SYS_ADMIN"]}},"linux":{"devices":[\#(nodes)]}}"#
    }

    @Test func noGPUWithoutAnySource() throws {
        #expect(
            try Self.detect(#"{"process":{"env":["PATH=/bin"]},"linux":{"devices":[{"path":"/dev/fuse"}]}}"#) == nil)
        #expect(try Self.detect("{}") == nil)
    }

    @Test(arguments: [
        ("all", GPURequest(all: true, sources: ["NVIDIA_VISIBLE_DEVICES=all"])),
        ("0", GPURequest(selectors: [.index(0)], sources: ["NVIDIA_VISIBLE_DEVICES=0"])),
        ("1,0,1", GPURequest(selectors: [.index(1), .index(0)], sources: ["NVIDIA_VISIBLE_DEVICES=1,0,1"])),
        (" 0 , 1 ", GPURequest(selectors: [.index(0), .index(1)], sources: ["NVIDIA_VISIBLE_DEVICES= 0 , 1 "])),
        (
            FakeGPUHost.uuid1,
            GPURequest(selectors: [.uuid(FakeGPUHost.uuid1)], sources: ["NVIDIA_VISIBLE_DEVICES=\(FakeGPUHost.uuid1)"])
        ),
        ("none", GPURequest(sources: ["NVIDIA_VISIBLE_DEVICES=none"])),
        ("0,void", GPURequest(selectors: [.index(0)], sources: ["NVIDIA_VISIBLE_DEVICES=0,void"])),
    ])
    func visibleDevicesForms(value: String, expected: GPURequest) throws {
        #expect(try Self.detect(Self.withEnv(value)) == expected)
    }

    @Test(arguments: ["void", "", " "])
    func visibleDevicesThatAskForNothing(value: String) throws {
        #expect(try Self.detect(Self.withEnv(value)) == nil)
    }

    @Test(arguments: [
        (
            "MIG-4f3c7e5a-1111-2222-3333-444455556666",
            "config.json: process.env NVIDIA_VISIBLE_DEVICES=MIG-4f3c7e5a-1111-2222-3333-444455556666: "
                + "MIG-4f3c7e5a-1111-2222-3333-444455556666 is a MIG device; nvproxy does not support MIG"
        ),
        (
            "0:1",
            "config.json: process.env NVIDIA_VISIBLE_DEVICES=0:1: 0:1 is a MIG device; nvproxy does not support MIG"
        ),
        (
            "gpu0",
            "config.json: process.env NVIDIA_VISIBLE_DEVICES=gpu0: \"gpu0\" is not a GPU; expected all, none, void, GPU indexes or GPU-<uuid>"
        ),
        ("248", "config.json: process.env NVIDIA_VISIBLE_DEVICES=248: GPU index 248 is out of range (0-247)"),
        (
            "-1",
            "config.json: process.env NVIDIA_VISIBLE_DEVICES=-1: \"-1\" is not a GPU; expected all, none, void, GPU indexes or GPU-<uuid>"
        ),
    ])
    func visibleDevicesErrorsNameTheField(value: String, message: String) {
        #expect(errorText { _ = try Self.detect(Self.withEnv(value)) } == message)
    }

    @Test func theLastDefinitionOfTheVariableWins() throws {
        let json = #"{"process":{"env":["NVIDIA_VISIBLE_DEVICES=all","NVIDIA_VISIBLE_DEVICES=void"]}}"#
        #expect(try Self.detect(json) == nil)
    }

    @Test func deviceEntriesInTheSpec() throws {
        let json = """
            {"linux":{"devices":[
              {"path":"/dev/fuse","type":"c","major":10,"minor":229},
              {"path":"/dev/nvidiactl","type":"c","major":195,"minor":255},
              {"path":"/dev/nvidia-uvm","type":"c","major":507,"minor":0},
              {"path":"/dev/nvidia1","type":"c","major":195,"minor":1},
              {"path":"/dev/nvidia-modeset","type":"c","major":195,"minor":254},
              {"path":"/dev/nvidia-caps/nvidia-cap1","type":"c","major":508,"minor":1}
            ]}}
            """
        let request = try #require(try Self.detect(json))
        #expect(request.all == false)
        #expect(request.selectors == [.index(1)])
        #expect(request.unsupportedDevices == ["/dev/nvidia-modeset", "/dev/nvidia-caps/nvidia-cap1"])
        #expect(request.sources.first == "linux.devices /dev/nvidiactl")
        #expect(request.sources.count == 5)
    }

    @Test func cdiAnnotationsFromTheDevicePlugin() throws {
        let json = """
            {"annotations":{
              "cdi.k8s.io/nvidia-device-plugin_6c5a7b2e":"nvidia.com/gpu=0,nvidia.com/gpu=\(FakeGPUHost.uuid1)",
              "cdi.k8s.io/other-vendor":"vendor.example/fpga=3",
              "io.kubernetes.cri.container-type":"container"
            }}
            """
        let request = try #require(try Self.detect(json))
        #expect(request.selectors == [.index(0), .uuid(FakeGPUHost.uuid1)])
        #expect(request.sources == ["CDI nvidia.com/gpu=0", "CDI nvidia.com/gpu=\(FakeGPUHost.uuid1)"])
        #expect(try Self.detect(#"{"annotations":{"cdi.k8s.io/x":"nvidia.com/gpu=all"}}"#)?.all == true)
        #expect(try Self.detect(#"{"annotations":{"cdi.k8s.io/x":"vendor.example/fpga=all"}}"#) == nil)
    }

    @Test func cdiErrorsNameTheAnnotation() {
        #expect(
            errorText { _ = try Self.detect(#"{"annotations":{"cdi.k8s.io/x":"nvidia.com/mig=0:1"}}"#) }
                == "config.json: annotations.cdi.k8s.io/x: CDI device nvidia.com/mig=0:1: nvproxy passes through only nvidia.com/gpu devices (no MIG)"
        )
        #expect(
            errorText { _ = try Self.detect(#"{"annotations":{"cdi.k8s.io/x":"nvidia.com/gpu"}}"#) }
                == "config.json: annotations.cdi.k8s.io/x: CDI device \"nvidia.com/gpu\" is not of the form vendor.com/class=name"
        )
    }

    @Test func volumeMountsStrategy() throws {
        let json = """
            {"process":{"env":["NVIDIA_VISIBLE_DEVICES=/var/run/nvidia-container-devices"]},
             "mounts":[{"destination":"/var/run/nvidia-container-devices/\(FakeGPUHost.uuid0)","source":"/dev/null"},
                       {"destination":"/proc","type":"proc","source":"proc"}]}
            """
        let request = try #require(try Self.detect(json, policy: GPURequestPolicy(acceptVolumeMounts: true)))
        #expect(request.selectors == [.uuid(FakeGPUHost.uuid0)])
        #expect(request.sources == ["mount /var/run/nvidia-container-devices/\(FakeGPUHost.uuid0)"])
    }

    @Test func resolvesIndexesAndUUIDsAgainstTheHost() throws {
        let fake = try FakeGPUHost.twoGPUs()
        let inventory = GPUInventory.discover(on: fake.host)
        #expect(try GPURequest(all: true).resolve(against: inventory).map(\.index) == [0, 1])
        #expect(try GPURequest(selectors: [.index(1)]).resolve(against: inventory).map(\.index) == [1])
        #expect(
            try GPURequest(selectors: [.uuid(FakeGPUHost.uuid1.uppercased()), .index(0), .index(1)])
                .resolve(against: inventory).map(\.index) == [0, 1])
        #expect(try GPURequest().resolve(against: inventory).isEmpty)
        #expect(
            errorText {
                _ = try GPURequest(selectors: [.index(3)], sources: ["NVIDIA_VISIBLE_DEVICES=3"]).resolve(
                    against: inventory)
            }
                == "NVIDIA_VISIBLE_DEVICES=3: asks for GPU 3 but \(fake.root)/dev has no nvidia3 (GPUs: 0, 1)")
        #expect(
            errorText {
                _ = try GPURequest(selectors: [.uuid("GPU-dead")], sources: ["CDI nvidia.com/gpu=GPU-dead"]).resolve(
                    against: inventory)
            }
                == "CDI nvidia.com/gpu=GPU-dead: asks for GPU GPU-dead but no GPU in \(fake.root)/proc/driver/nvidia/gpus has that UUID"
                + " (known: \(FakeGPUHost.uuid0), \(FakeGPUHost.uuid1))")
    }
}

/// The NVIDIA container toolkit's rules (nvidia-container-toolkit `cmd/nvidia-container-runtime-hook`
/// `getDevices` and `internal/config/image` `DevicesFromMounts`): which requests count, and the device plugin's
/// allocation as the ceiling.
@Suite struct GPURequestRuleTests {
    /// Issue 17's reproduction: an unprivileged pod's `NVIDIA_VISIBLE_DEVICES` used to be added to what the
    /// plugin allocated. The toolkit ignores it unless `accept-nvidia-visible-devices-envvar-when-unprivileged`.
    @Test func unprivilegedEnvironmentIsIgnoredWithANamedRefusal() throws {
        let detection = try GPURequestTests.detection(GPURequestTests.unprivileged(env: "1"))
        #expect(detection.request == nil)
        #expect(detection.refused == [NVProxyError(.environmentNotAccepted(file: "config.json", value: "1"))])
        #expect(
            detection.refused.first?.description
                == "config.json: process.env NVIDIA_VISIBLE_DEVICES=1 ignored: the container is unprivileged "
                + "(no CAP_SYS_ADMIN in process.capabilities.bounding) and runsc.toml does not set "
                + "accept-nvidia-visible-devices-envvar-when-unprivileged = true")
        // An ignored variable is not parsed: a CUDA image's MIG list does not fail a CPU-only pod.
        #expect(try GPURequestTests.detection(GPURequestTests.unprivileged(env: "MIG-1")).request == nil)
        // Nothing asked, nothing refused.
        #expect(try GPURequestTests.detection(GPURequestTests.unprivileged(env: "void")).refused.isEmpty)
    }

    @Test func environmentCountsWhenPrivilegedOrAccepted() throws {
        let privileged = GPURequestTests.unprivileged(env: "1", bounding: ["CAP_CHOWN", "CAP_SYS_ADMIN"])
        #expect(try GPURequestTests.detect(privileged)?.selectors == [.index(1)])
        let accepted = GPURequestPolicy(acceptEnvironmentWhenUnprivileged: true)
        #expect(
            try GPURequestTests.detect(GPURequestTests.unprivileged(env: "1"), policy: accepted)?.selectors == [
                .index(1)
            ])
    }

    @Test(arguments: [
        (#"{"process":{"args":["sh"]}}"#, true),
        (#"{"process":{"capabilities":null}}"#, true),
        (#"{"process":{"capabilities":{"bounding":["CAP_SYS_ADMIN"]}}}"#, true),
        (#"{"process":{"capabilities":{"bounding":["CAP_KILL"],"effective":["CAP_SYS_ADMIN"]}}}"#, false),
        (#"{"process":{"capabilities":{}}}"#, false),
        // OCI 1.0.0-rc1...rc4: one plain list.
        (#"{"process":{"capabilities":["CAP_SYS_ADMIN"]}}"#, true),
    ])
    func privilegeIsTheToolkitsBoundingSetTest(json: String, privileged: Bool) throws {
        #expect(GPURequest.isPrivileged(try spec(json)) == privileged)
    }

    /// With an allocation in `linux.devices`, an accepted variable never widens it: naming another GPU fails Create.
    @Test func allocationIsTheCeilingForAnAcceptedEnvironment() throws {
        let fake = try FakeGPUHost.twoGPUs()
        let inventory = GPUInventory.discover(on: fake.host)
        let accepted = GPURequestPolicy(acceptEnvironmentWhenUnprivileged: true)
        func request(_ env: String) throws -> GPURequest {
            try #require(
                try GPURequestTests.detect(
                    GPURequestTests.unprivileged(env: env, devices: ["/dev/nvidiactl", "/dev/nvidia0"]),
                    policy: accepted))
        }
        let beyond = try request("1")
        #expect(beyond.selectors == [.index(0)])
        #expect(
            beyond.environment
                == GPURequest.EnvironmentRequest(
                    selectors: [.index(1)], source: "config.json: process.env NVIDIA_VISIBLE_DEVICES=1"))
        #expect(
            errorText { _ = try beyond.resolve(against: inventory) }
                == "config.json: process.env NVIDIA_VISIBLE_DEVICES=1: asks for GPU 1, which the device plugin did not "
                + "allocate (allocated: 0); the allocation in linux.devices, CDI annotations and volume mounts is the ceiling"
        )
        #expect(
            errorText { _ = try request(FakeGPUHost.uuid1).resolve(against: inventory) }.contains(
                "asks for GPU \(FakeGPUHost.uuid1), which the device plugin did not allocate"))
        // Within the allocation (by index, by UUID, or "all" meaning all allocated) it grants the allocation.
        for env in ["0", FakeGPUHost.uuid0, "all", "none"] {
            #expect(try request(env).resolve(against: inventory).map(\.index) == [0], "\(env)")
        }
    }

    @Test func volumeMountsCountOnlyFromDevNullAndWhenAccepted() throws {
        let mounts = """
            {"mounts":[
              {"destination":"/var/run/nvidia-container-devices/0","source":"/dev/null","type":"bind"},
              {"destination":"/var/run/nvidia-container-devices/all","source":"/var/lib/kubelet/pods/p/volumes/x","type":"bind"},
              {"destination":"/var/run/nvidia-container-devices/../nvidia-container-devices/1","source":"/dev/./null"},
              {"destination":"/var/run/nvidia-container-devices//0","source":"/dev/null"}
            ]}
            """
        let off = try GPURequestTests.detection(mounts)
        #expect(off.request == nil)
        #expect(
            off.refused.map(\.description) == [
                "config.json: mounts /var/run/nvidia-container-devices/0 is not taken as a GPU request: runsc.toml does not set accept-nvidia-visible-devices-as-volume-mounts = true",
                "config.json: mounts /var/run/nvidia-container-devices/all is not taken as a GPU request: its source is \"/var/lib/kubelet/pods/p/volumes/x\", not /dev/null",
                "config.json: mounts /var/run/nvidia-container-devices/1 is not taken as a GPU request: runsc.toml does not set accept-nvidia-visible-devices-as-volume-mounts = true",
            ])
        let on = try GPURequestTests.detection(mounts, policy: GPURequestPolicy(acceptVolumeMounts: true))
        let request = try #require(on.request)
        #expect(request.all == false)
        #expect(request.selectors == [.index(0), .index(1)])
        #expect(on.refused.count == 1)
        #expect(
            on.refused.first?.problem
                == .volumeMountNotAccepted(
                    file: "config.json", destination: "/var/run/nvidia-container-devices/all",
                    reason: "its source is \"/var/lib/kubelet/pods/p/volumes/x\", not /dev/null"))
    }
}
