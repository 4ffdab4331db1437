import Foundation
import OCI
import Testing

@testable import Shim

@Suite struct PodSpecRewriteTests {
    /// A kubelet pods directory of our own, removed at the end.
    final class Kubelet {
        let pods: String

        init() throws {
            pods = NSTemporaryDirectory() + "kubelet-pods-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: pods, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(atPath: pods) }

        @discardableResult
        func volume(uid: String, plugin: String, name: String, files: [String] = []) throws -> String {
            let path = "\(pods)/\(uid)/volumes/\(plugin)/\(name)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for file in files {
                _ = FileManager.default.createFile(atPath: "\(path)/\(file)", contents: Data("x".utf8))
            }
            return path
        }
    }

    static let shmDir = "/run/containerd/io.containerd.grpc.v1.cri/sandboxes/abc/shm"

    func spec(type: String, annotations: [String: String] = [:], mounts: [JSONValue] = [], cgroupsPath: String? = nil)
        -> JSONValue
    {
        var all = annotations
        all["io.kubernetes.cri.container-type"] = type
        all["io.kubernetes.cri.sandbox-id"] = "abc"
        var linux: [String: JSONValue] = [:]
        if let cgroupsPath { linux["cgroupsPath"] = .string(cgroupsPath) }
        return .object([
            "ociVersion": .string("1.0.2"),
            "annotations": .object(all.mapValues { .string($0) }),
            "mounts": .array(mounts),
            "linux": .object(linux),
            "process": .object(["args": .array([.string("sleep")])]),
        ])
    }

    func mount(_ destination: String, type: String, source: String, options: [String]) -> JSONValue {
        .object([
            "destination": .string(destination), "type": .string(type), "source": .string(source),
            "options": .array(options.map { .string($0) }),
        ])
    }

    func annotation(_ spec: JSONValue, _ key: String) -> String? { spec["annotations"]?[key]?.stringValue }

    @Test func sandboxJoinsThePodCgroup() throws {
        var sandbox = spec(type: "sandbox", cgroupsPath: "/kubepods/burstable/pod1234/abc")
        let changes = try PodSpecRewrite().apply(to: &sandbox)
        #expect(annotation(sandbox, "dev.gvisor.spec.cgroup-parent") == "/kubepods/burstable/pod1234")
        #expect(changes == ["sandbox cgroup parent /kubepods/burstable/pod1234"])
    }

    @Test func cgroupParentNeedsAPodComponentAndOnlyTheSandboxGetsIt() throws {
        var plain = spec(type: "sandbox", cgroupsPath: "/system/abc")
        #expect(try PodSpecRewrite().apply(to: &plain).isEmpty)
        #expect(annotation(plain, "dev.gvisor.spec.cgroup-parent") == nil)
        var container = spec(type: "container", cgroupsPath: "/kubepods/pod1234/def")
        _ = try PodSpecRewrite().apply(to: &container)
        #expect(annotation(container, "dev.gvisor.spec.cgroup-parent") == nil)
    }

    @Test func sandboxShmBecomesAPodSharedTmpfs() throws {
        var sandbox = spec(
            type: "sandbox",
            mounts: [
                mount("/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "size=65536k"]),
                mount("/dev/shm", type: "bind", source: Self.shmDir, options: ["rbind", "ro"]),
            ])
        _ = try PodSpecRewrite().apply(to: &sandbox)
        let mounts = try #require(sandbox["mounts"]?.arrayValue)
        #expect(mounts.count == 1)
        #expect(mounts[0]["type"]?.stringValue == "tmpfs")
        #expect(mounts[0]["source"]?.stringValue == Self.shmDir)
        #expect(mounts[0]["options"] == .array([.string("ro")]))
        let prefix = "dev.gvisor.spec.mount.gvisorinternaldevshm."
        #expect(annotation(sandbox, prefix + "source") == Self.shmDir)
        #expect(annotation(sandbox, prefix + "type") == "tmpfs")
        #expect(annotation(sandbox, prefix + "share") == "pod")
        #expect(annotation(sandbox, prefix + "options") == "rw")
    }

    @Test func containerShmBecomesTmpfsWithoutHints() throws {
        var container = spec(
            type: "container",
            mounts: [mount("/dev/shm", type: "bind", source: Self.shmDir, options: ["rbind", "rprivate", "rw"])])
        _ = try PodSpecRewrite().apply(to: &container)
        let mounts = try #require(container["mounts"]?.arrayValue)
        #expect(mounts[0]["type"]?.stringValue == "tmpfs")
        #expect(mounts[0]["options"] == .array([.string("rprivate"), .string("rw")]))
        #expect(annotation(container, "dev.gvisor.spec.mount.gvisorinternaldevshm.source") == nil)
    }

    @Test func nonCRISpecsAreLeftAlone() throws {
        var plain: JSONValue = .object([
            "mounts": .array([mount("/dev/shm", type: "bind", source: "/x", options: ["rbind"])]),
            "linux": .object(["cgroupsPath": .string("/pod1/abc")]),
        ])
        let before = plain
        #expect(try PodSpecRewrite().apply(to: &plain).isEmpty)
        #expect(plain == before)
    }

    @Test func emptyEmptyDirHintBecomesTmpfsWithItsKubeletSource() throws {
        let kubelet = try Kubelet()
        let path = try kubelet.volume(uid: "uid-1", plugin: "kubernetes.io~empty-dir", name: "cache")
        var sandbox = spec(
            type: "sandbox",
            annotations: [
                "io.kubernetes.cri.sandbox-log-directory": "/var/log/pods/default_web_uid-1",
                "dev.gvisor.spec.mount.cache.share": "pod", "dev.gvisor.spec.mount.cache.type": "bind",
            ])
        _ = try PodSpecRewrite(kubeletPodsDirectory: kubelet.pods).apply(to: &sandbox)
        #expect(annotation(sandbox, "dev.gvisor.spec.mount.cache.source") == path)
        #expect(annotation(sandbox, "dev.gvisor.spec.mount.cache.type") == "tmpfs")
        #expect(annotation(sandbox, "dev.gvisor.spec.mount.cache.share") == "pod")

        // The app container mounting it gets the same type, without bind options.
        var container = spec(
            type: "container",
            annotations: ["dev.gvisor.spec.mount.cache.share": "pod", "dev.gvisor.spec.mount.cache.type": "bind"],
            mounts: [mount("/cache", type: "bind", source: path, options: ["rbind", "rw"])])
        let changes = try PodSpecRewrite(kubeletPodsDirectory: kubelet.pods).apply(to: &container)
        let mounts = try #require(container["mounts"]?.arrayValue)
        #expect(mounts[0]["type"]?.stringValue == "tmpfs")
        #expect(mounts[0]["options"] == .array([.string("rw")]))
        #expect(changes == ["volume cache: mount /cache is tmpfs"])
    }

    @Test func emptyDirWithDataOrForcedSharedStaysABindSharedWithTheHost() throws {
        let kubelet = try Kubelet()
        try kubelet.volume(uid: "uid-2", plugin: "kubernetes.io~empty-dir", name: "data", files: ["kept"])
        try kubelet.volume(uid: "uid-2", plugin: "kubernetes.io~empty-dir", name: "gke-gcsfuse-tmp")
        var sandbox = spec(
            type: "sandbox",
            annotations: [
                "io.kubernetes.cri.sandbox-log-directory": "/var/log/pods/uid-2",
                "dev.gvisor.spec.mount.data.type": "tmpfs",
                "dev.gvisor.spec.mount.gke-gcsfuse-tmp.type": "tmpfs",
                "dev.gvisor.empty-dir.gke-gcsfuse-tmp.force-shared": "true",
            ])
        _ = try PodSpecRewrite(kubeletPodsDirectory: kubelet.pods).apply(to: &sandbox)
        #expect(annotation(sandbox, "dev.gvisor.spec.mount.data.type") == "bind")
        #expect(annotation(sandbox, "dev.gvisor.spec.mount.data.share") == "shared")
        #expect(annotation(sandbox, "dev.gvisor.spec.mount.gke-gcsfuse-tmp.type") == "bind")
        #expect(annotation(sandbox, "dev.gvisor.flag.host-uds") == "open")
    }

    @Test func otherVolumeKindsKeepTheirHintedType() throws {
        let kubelet = try Kubelet()
        let path = try kubelet.volume(uid: "uid-3", plugin: "kubernetes.io~configmap", name: "settings")
        var sandbox = spec(
            type: "sandbox",
            annotations: [
                "io.kubernetes.cri.sandbox-log-directory": "/var/log/pods/default_web_uid-3",
                "dev.gvisor.spec.mount.settings.type": "bind", "dev.gvisor.spec.mount.settings.share": "shared",
            ])
        _ = try PodSpecRewrite(kubeletPodsDirectory: kubelet.pods).apply(to: &sandbox)
        #expect(annotation(sandbox, "dev.gvisor.spec.mount.settings.source") == path)
        #expect(annotation(sandbox, "dev.gvisor.spec.mount.settings.type") == "bind")
    }

    @Test func aHintForAMissingVolumeIsANamedError() throws {
        let kubelet = try Kubelet()
        var sandbox = spec(
            type: "sandbox",
            annotations: [
                "io.kubernetes.cri.sandbox-log-directory": "/var/log/pods/default_web_uid-4",
                "dev.gvisor.spec.mount.ghost.type": "tmpfs",
            ])
        let error = #expect(throws: PodSpecRewrite.Failure.self) {
            try PodSpecRewrite(kubeletPodsDirectory: kubelet.pods).apply(to: &sandbox)
        }
        #expect(error?.description.contains("dev.gvisor.spec.mount.ghost.type") == true)
        #expect(error?.description.contains("\(kubelet.pods)/uid-4/volumes/*/ghost, found none") == true)
    }

    @Test func podUIDComesFromTheLogDirectoryName() {
        let rewrite = PodSpecRewrite()
        let key = "io.kubernetes.cri.sandbox-log-directory"
        #expect(rewrite.podUID([key: .string("/var/log/pods/ns_name_1-2-3")]) == "1-2-3")
        #expect(rewrite.podUID([key: .string("/var/log/pods/1-2-3")]) == "1-2-3")
        #expect(rewrite.podUID([:]) == nil)
    }
}
