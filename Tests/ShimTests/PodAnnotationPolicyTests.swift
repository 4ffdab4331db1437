import OCI
import Testing

@testable import Shim

/// Pod annotations under `dev.gvisor.` and where the sandbox's cgroup ends up (issue 17).
@Suite struct PodAnnotationPolicyTests {
    func spec(type: String, annotations: [String: String] = [:], cgroupsPath: String? = nil) -> JSONValue {
        var all = annotations
        all["io.kubernetes.cri.container-type"] = type
        all["io.kubernetes.cri.sandbox-id"] = "abc"
        var linux: [String: JSONValue] = [:]
        if let cgroupsPath { linux["cgroupsPath"] = .string(cgroupsPath) }
        return .object([
            "ociVersion": .string("1.0.2"), "annotations": .object(all.mapValues { .string($0) }),
            "linux": .object(linux),
        ])
    }

    func failure(_ spec: JSONValue, _ rewrite: PodSpecRewrite = PodSpecRewrite()) -> PodSpecRewrite.Failure? {
        var spec = spec
        do {
            _ = try rewrite.apply(to: &spec)
            return nil
        } catch { return error }
    }

    /// The reproduction: `dev.gvisor.spec.cgroup-parent` on a pod moved the sandbox out of the pod's cgroup.
    @Test(arguments: ["sandbox", "container"])
    func cgroupParentFromAPodIsRefused(type: String) {
        let refused = failure(
            spec(
                type: type, annotations: ["dev.gvisor.spec.cgroup-parent": "/gvisor-secaudit-escape"],
                cgroupsPath: "kubepods-besteffort-pod1.slice:cri-containerd:abc"))
        #expect(refused?.refusedAnnotation == "dev.gvisor.spec.cgroup-parent")
        #expect(
            refused?.description
                == "pod annotation dev.gvisor.spec.cgroup-parent is refused: it moves the sandbox out of the pod's "
                + "cgroup; the shim sets it from linux.cgroupsPath")
    }

    @Test(arguments: [
        "dev.gvisor.flag.platform", "dev.gvisor.flag.root", "dev.gvisor.flag.network", "dev.gvisor.flag.nvproxy",
        "dev.gvisor.flag.allow-flag-override", "dev.gvisor.bundle.experimental-high-performance",
        "dev.gvisor.internal.nvproxy", "dev.gvisor.internal.tpuproxy", "dev.gvisor.spec.rootfs.overlay",
        "dev.gvisor.spec.rootfs.source", "dev.gvisor.spec.mount.data.source", "dev.gvisor.spec.mount.data",
        "dev.gvisor.spec.mount.gvisorinternaldevshm.share", "dev.gvisor.tar.rootfs.upper", "dev.gvisor.anything",
    ])
    func annotationsThatMoveCgroupsMountsOrPlatformsAreRefused(key: String) {
        #expect(failure(spec(type: "sandbox", annotations: [key: "x"]))?.refusedAnnotation == key)
    }

    @Test(arguments: [
        ("dev.gvisor.flag.oci-seccomp", "false"), ("dev.gvisor.flag.overlay2", "root:dir=/host"),
    ])
    func allowedFlagsOnlyTightenAsRunscChecksThem(key: String, value: String) {
        #expect(failure(spec(type: "sandbox", annotations: [key: value]))?.refusedAnnotation == key)
    }

    /// What gVisor documents for pods: runsc's flag allow-list, mount hints without a source, emptyDir sharing.
    @Test func documentedPodAnnotationsPass() throws {
        var sandbox = spec(
            type: "sandbox",
            annotations: [
                "dev.gvisor.flag.debug": "true", "dev.gvisor.flag.strace": "true", "dev.gvisor.flag.host-uds": "open",
                "dev.gvisor.flag.oci-seccomp": "true", "dev.gvisor.flag.overlay2": "root:memory",
                "dev.gvisor.spec.mount.data.share": "pod", "dev.gvisor.spec.mount.data.options": "rw",
                "dev.gvisor.empty-dir.cache.force-shared": "true", "example.com/other": "anything",
            ])
        _ = try PodSpecRewrite().apply(to: &sandbox)
        // Non-CRI specs come from the operator's own tooling and are not checked.
        var plain: JSONValue = .object(["annotations": .object(["dev.gvisor.spec.cgroup-parent": .string("/x")])])
        #expect(try PodSpecRewrite().apply(to: &plain).isEmpty)
    }

    /// runc's `ExpandSlice`: each `-` of a slice name is a parent slice.
    @Test func systemdPathsExpandAsSystemdDoes() throws {
        let path = try #require(SystemdCgroupPath("kubepods-burstable-pod12_34.slice:cri-containerd:abc"))
        #expect(
            try path.sliceDirectory() == "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12_34.slice")
        #expect(
            try path.unitDirectory()
                == "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12_34.slice/cri-containerd-abc.scope"
        )
        #expect(try SystemdCgroupPath("-.slice:p:n")?.unitDirectory() == "/p-n.scope")
        #expect(try SystemdCgroupPath(":runsc:n")?.unitDirectory() == "/system.slice/runsc-n.scope")
        #expect(try SystemdCgroupPath("a.slice:p:b.slice")?.unitDirectory() == "/a.slice/b.slice")
        #expect(SystemdCgroupPath("/kubepods/burstable/pod1/abc") == nil)
        #expect(SystemdCgroupPath("a:b:c:d") == nil)
        for bad in ["kubepods--x.slice:p:n", "-kubepods.slice:p:n", "kubepods:p:n", "a/b.slice:p:n", "a.slice:p:"] {
            #expect(throws: SystemdCgroupPath.Invalid.self, "\(bad)") { try SystemdCgroupPath(bad)?.unitDirectory() }
        }
    }

    /// The kubelet's systemd driver: the sandbox's cgroup parent is the pod slice and every container's path is
    /// the scope systemd would use inside it; before, runsc made `/<slice>:cri-containerd:<id>` at the root.
    @Test func systemdDriverSandboxLandsInThePodSlice() throws {
        let slice = "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0f3e.slice"
        var sandbox = spec(type: "sandbox", cgroupsPath: "kubepods-besteffort-pod0f3e.slice:cri-containerd:abc")
        let changes = try PodSpecRewrite().apply(to: &sandbox)
        #expect(sandbox["linux"]?["cgroupsPath"]?.stringValue == slice + "/cri-containerd-abc.scope")
        #expect(sandbox["annotations"]?["dev.gvisor.spec.cgroup-parent"]?.stringValue == slice)
        #expect(changes.count == 2)
        var container = spec(type: "container", cgroupsPath: "kubepods-besteffort-pod0f3e.slice:cri-containerd:def")
        _ = try PodSpecRewrite().apply(to: &container)
        #expect(container["linux"]?["cgroupsPath"]?.stringValue == slice + "/cri-containerd-def.scope")
        #expect(container["annotations"]?["dev.gvisor.spec.cgroup-parent"] == nil)
        // Guaranteed pods sit directly under kubepods.slice.
        var guaranteed = spec(type: "sandbox", cgroupsPath: "kubepods-pod77.slice:cri-containerd:abc")
        _ = try PodSpecRewrite().apply(to: &guaranteed)
        #expect(
            guaranteed["annotations"]?["dev.gvisor.spec.cgroup-parent"]?.stringValue
                == "/kubepods.slice/kubepods-pod77.slice")
    }

    /// With `systemd-cgroup = true` runsc asks systemd for the scope inside the slice itself: nothing to rewrite.
    @Test func runscWithSystemdCgroupKeepsTheSystemdPath() throws {
        let path = "kubepods-besteffort-pod0f3e.slice:cri-containerd:abc"
        var sandbox = spec(type: "sandbox", cgroupsPath: path)
        #expect(try PodSpecRewrite(runscSystemdCgroup: true).apply(to: &sandbox).isEmpty)
        #expect(sandbox["linux"]?["cgroupsPath"]?.stringValue == path)
    }

    /// cgroupfs driver: unchanged, the sandbox's parent is the `pod<uid>` directory.
    @Test func cgroupfsDriverSandboxLandsInThePodDirectory() throws {
        var sandbox = spec(type: "sandbox", cgroupsPath: "/kubepods/burstable/pod1234/abc")
        _ = try PodSpecRewrite().apply(to: &sandbox)
        #expect(sandbox["annotations"]?["dev.gvisor.spec.cgroup-parent"]?.stringValue == "/kubepods/burstable/pod1234")
        #expect(sandbox["linux"]?["cgroupsPath"]?.stringValue == "/kubepods/burstable/pod1234/abc")
    }

    @Test func aMalformedSystemdPathIsNamed() {
        #expect(
            failure(spec(type: "sandbox", cgroupsPath: "kubepods:cri-containerd:abc"))?.description
                == "linux.cgroupsPath kubepods:cri-containerd:abc: \"kubepods\" is not a systemd slice name (<name>.slice, no \"/\")"
        )
    }
}
