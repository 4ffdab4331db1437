import NVProxy
import Testing

@Suite struct GPURequestTests {
    static func withEnv(_ value: String) -> String {
        #"{"ociVersion":"1.0.2","process":{"args":["sh"],"env":["PATH=/bin","NVIDIA_VISIBLE_DEVICES=\#(value)"]}}"#
    }

    static func detect(_ json: String) throws -> GPURequest? {
        try GPURequest.detect(in: spec(json), file: "config.json")
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
        let request = try #require(try Self.detect(json))
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
