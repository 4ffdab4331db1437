import Foundation
import NVProxy
import OCI
import Testing

/// The rewrite of `config.json` against golden files in `Golden/`: `<name>.input.json` is what containerd wrote,
/// `<name>.expected.json` what runsc must get. Set `NVPROXY_UPDATE_GOLDEN=1` to rewrite the expected files (then
/// review the diff).
@Suite struct SpecRewriteTests {
    static func golden(_ name: String) -> String { "\(testDirectory)/Golden/\(name)" }

    static func read(_ name: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: golden(name)) else {
            throw TestSetupError("cannot read \(golden(name))")
        }
        return Array(data)
    }

    /// Plans `input` on the two-GPU fake host with nvproxy on and a runsc that supports its driver.
    static func plan(_ input: String, policy: GPURequestPolicy = GPURequestPolicy()) async throws -> NVProxyPlan {
        let fake = try FakeGPUHost.twoGPUs()
        return try await NVProxyPlan.make(
            specBytes: read(input), file: "config.json", settings: NVProxySettings(enabled: true, policy: policy),
            runsc: "runsc",
            support: { .supported(drivers: [version("535.129.03")]) },
            inventory: { GPUInventory.discover(on: fake.host) })
    }

    static func compare(_ plan: NVProxyPlan, _ expected: String) throws {
        let rewrite = try #require(plan.rewrite)
        let bytes = rewrite.spec.encoded()
        if ProcessInfo.processInfo.environment["NVPROXY_UPDATE_GOLDEN"] == "1" {
            try Data(bytes).write(to: URL(fileURLWithPath: golden(expected)))
        }
        let wanted = try read(expected)
        #expect(bytes == wanted, "\(expected) differs:\n\(String(decoding: bytes, as: UTF8.self))")
    }

    /// Issue 17: the unprivileged container's `NVIDIA_VISIBLE_DEVICES=1` used to add GPU 1 to the plugin's
    /// `/dev/nvidia0`. Under the NVIDIA container toolkit's rule it is ignored (logged), and only GPU 0 is given.
    @Test func environmentIndexOfAnUnprivilegedContainerGrantsOnlyTheAllocation() async throws {
        let plan = try await Self.plan("env-index.input.json")
        try Self.compare(plan, "env-index.expected.json")
        let rewrite = try #require(plan.rewrite)
        #expect(rewrite.devices.map(\.containerPath) == ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia0"])
        #expect(rewrite.leftOut == ["/dev/nvidia-modeset", "/dev/nvidia-caps/nvidia-cap1"])
        #expect(
            plan.notes == [
                "config.json: process.env NVIDIA_VISIBLE_DEVICES=1 ignored: the container is unprivileged (no CAP_SYS_ADMIN in process.capabilities.bounding) and runsc.toml does not set accept-nvidia-visible-devices-envvar-when-unprivileged = true",
                "/dev/nvidia-caps/nvidia-cap1 left out: gVisor's nvproxy exposes only /dev/nvidiactl, /dev/nvidia-uvm and /dev/nvidiaN",
                "/dev/nvidia-modeset left out: gVisor's nvproxy exposes only /dev/nvidiactl, /dev/nvidia-uvm and /dev/nvidiaN",
            ])
    }

    /// Even where the operator accepts the variable, it may not name a GPU the device plugin did not allocate.
    @Test func environmentIndexBeyondTheAllocationIsRefusedWhenAccepted() async throws {
        do {
            _ = try await Self.plan(
                "env-index.input.json", policy: GPURequestPolicy(acceptEnvironmentWhenUnprivileged: true))
            Issue.record("GPU 1 was granted beyond the allocation of GPU 0")
        } catch let error as NVProxyError {
            #expect(
                error.problem
                    == .exceedsAllocation(
                        source: "config.json: process.env NVIDIA_VISIBLE_DEVICES=1", gpu: "1", allocated: "0"))
        }
    }

    /// The device plugin's `volume-mounts` strategy, accepted by the operator: `/dev/null` mounts name the GPUs; a
    /// mount from a pod volume at the same place is not a request.
    @Test func volumeMountsFromDevNullGrantTheirGPUs() async throws {
        let plan = try await Self.plan("volume-mounts.input.json", policy: GPURequestPolicy(acceptVolumeMounts: true))
        try Self.compare(plan, "volume-mounts.expected.json")
        #expect(
            try #require(plan.rewrite).devices.map(\.containerPath) == [
                "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia1",
            ])
        #expect(
            plan.notes == [
                "config.json: mounts /var/run/nvidia-container-devices/all is not taken as a GPU request: its source is \"/var/lib/kubelet/pods/0f3e/volumes/kubernetes.io~empty-dir/gpus\", not /dev/null"
            ])
        // Not accepted: no GPU at all, and the container is left as it is.
        let off = try await Self.plan("volume-mounts.input.json")
        #expect(off.rewrite == nil)
        #expect(off.notes.count == 2)
    }

    @Test func cdiAllGetsEveryGPUAndKeepsOtherDevices() async throws {
        let plan = try await Self.plan("cdi-all.input.json")
        try Self.compare(plan, "cdi-all.expected.json")
        let rewrite = try #require(plan.rewrite)
        #expect(
            rewrite.spec["linux"]?["devices"]?.arrayValue?.compactMap { $0["path"]?.stringValue }
                == ["/dev/fuse", "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia0", "/dev/nvidia1"])
        // The existing nvidiactl allow rule is not repeated.
        let rules = rewrite.spec["linux"]?["resources"]?["devices"]?.arrayValue ?? []
        #expect(rules.count == 5)
        #expect(plan.notes == [])
    }

    /// Everything but `linux.devices` and `linux.resources.devices` comes back as containerd wrote it, including
    /// 64-bit integers, fractions, null, escapes and fields this code has never heard of.
    @Test(arguments: ["env-index.input.json", "cdi-all.input.json", "volume-mounts.input.json"])
    func everythingElseIsPreserved(input: String) async throws {
        let original = try JSONValue.decode(Self.read(input), file: input)
        let plan = try await Self.plan(input, policy: GPURequestPolicy(acceptVolumeMounts: true))
        let rewritten = try #require(plan.rewrite).spec
        // Decoding the encoded bytes again gives the same tree: the file is what the value says.
        #expect(try JSONValue.decode(rewritten.encoded(), file: "encoded") == rewritten)
        func strip(_ spec: JSONValue) -> JSONValue {
            var spec = spec
            var linux = spec["linux"]?.objectValue ?? [:]
            linux["devices"] = nil
            var resources = linux["resources"]?.objectValue ?? [:]
            resources["devices"] = nil
            linux["resources"] = .object(resources)
            spec["linux"] = .object(linux)
            return spec
        }
        #expect(strip(rewritten) == strip(original))
        if input == "env-index.input.json" {
            #expect(rewritten["linux"]?["resources"]?["memory"]?["limit"] == .int(9_223_372_036_854_775_807))
            #expect(rewritten["x-vendor-extension"]?["huge"] == .uint(18_446_744_073_709_551_615))
            #expect(rewritten["x-vendor-extension"]?["weight"] == .double(0.25))
            #expect(rewritten["x-vendor-extension"]?["unicode"] == .string("grüße 🚀"))
        }
    }

    @Test func rewritingTwiceChangesNothing() async throws {
        let first = try #require(try await Self.plan("cdi-all.input.json").rewrite)
        let again = try GPUSpecRewrite(spec: first.spec, devices: first.devices, file: "config.json")
        #expect(again.spec == first.spec)
    }

    @Test func specsOfTheWrongShapeAreNamed() {
        let device = NVIDIADevice(
            kind: .control, containerPath: "/dev/nvidiactl", hostPath: "/dev/nvidiactl", major: 195, minor: 255,
            fileMode: 0o666)
        #expect(
            errorText {
                _ = try GPUSpecRewrite(
                    spec: spec(#"{"linux":{"devices":{}}}"#), devices: [device], file: "b/config.json")
            }
                == "b/config.json: linux.devices is an object, expected an array")
        #expect(
            errorText { _ = try GPUSpecRewrite(spec: spec(#"{"linux":[]}"#), devices: [device], file: "b/config.json") }
                == "b/config.json: linux is an array, expected an object")
        #expect(
            errorText { _ = try GPUSpecRewrite(spec: spec("[]"), devices: [device], file: "b/config.json") }
                == "b/config.json: the spec is an array, expected an object")
        #expect(errorText { _ = try spec("{") }.hasPrefix("config.json: not valid JSON: "))
    }
}
