import GVisorConfig
import Glibc
import HostOS
import NIOPosix
import OCI
import TTRPC
import Testing

@testable import Shim

/// config.json is read once per Create, edited in memory by Hardening, the pod rewrite and nvproxy, and written
/// once, only when something changed (issue 19).
struct BundleSpecTests {
    private func withBundle(_ spec: String, _ body: (String) async throws -> Void) async throws {
        let bundle = String(cString: mkdtemp(strdup("/tmp/bundle-spec-test.XXXXXX")))
        defer {
            unlink("\(bundle)/config.json")
            rmdir(bundle)
        }
        try HostFile.writeAtomically(spec, to: "\(bundle)/config.json")
        try await body(bundle)
    }

    private func inode(_ path: String) -> ino_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_ino : 0
    }

    @Test func missingAndMalformedSpecsAreInvalidArguments() async throws {
        #expect(throws: ShimError.invalidArgument("/nonexistent/config.json: cannot read the OCI runtime spec")) {
            try BundleSpec(bundle: "/nonexistent")
        }
        try await withBundle(#"{"ociVersion": "1.0.2", "process": "#) { bundle in
            #expect {
                try BundleSpec(bundle: bundle)
            } throws: { error in
                let status = TTRPCError(mapping: error)
                return status.code == .invalidArgument && status.message.hasPrefix("\(bundle)/config.json: ")
            }
        }
    }

    /// What Create reads from the spec comes from the one decoded document.
    @Test func annotationsAndRootComeFromTheDocument() async throws {
        let spec = #"""
            {"root":{"path":"/srv/root"},"annotations":{"io.kubernetes.cri.container-type":"container",
             "io.kubernetes.cri.sandbox-id":"pod1"},"process":{"args":["sh"],"env":["PATH=/bin"],"cwd":"/"}}
            """#
        try await withBundle(spec) { bundle in
            let parsed = try BundleSpec(bundle: bundle)
            #expect(parsed.isCRI && parsed.isSubcontainer && parsed.sandboxID == "pod1")
            #expect(parsed.rootPath == "/srv/root")
            #expect(parsed.executableCheck.rootfs == "/srv/root")
            #expect(parsed.executableCheck.spec.process?.args == ["sh"])
            #expect(!parsed.isChanged)
        }
    }

    /// Hardening's CAP_NET_RAW rule and the pod's /dev/shm rewrite land in one write; a spec no step changes is
    /// not written at all (the file keeps its inode).
    @Test func editsAreWrittenOnceAndAnUnchangedSpecIsNotWritten() async throws {
        let spec = #"""
            {"annotations":{"io.kubernetes.cri.container-type":"sandbox"},
             "process":{"capabilities":{"bounding":["CAP_NET_RAW","CAP_KILL"]}},
             "mounts":[{"destination":"/dev/shm","type":"bind","source":"/run/shm1","options":["rbind","rw"]}]}
            """#
        let config = RunscShimConfig(runscConfig: ["network": "none"])
        try await withService { service in
            try await withBundle(spec) { bundle in
                var parsed = try BundleSpec(bundle: bundle)
                try service.hardenSpec(&parsed, id: try ContainerID("s1"), config: config)
                try service.rewritePodSpec(&parsed, id: try ContainerID("s1"), config: config)
                #expect(parsed.isChanged)
                try parsed.writeIfChanged()
                let written = try JSONValue.decode(try HostFile.read("\(bundle)/config.json"), file: "c")
                #expect(written["process"]?["capabilities"]?["bounding"] == .array([.string("CAP_KILL")]))
                #expect(written["mounts"]?.arrayValue?.first?["type"] == .string("tmpfs"))
            }
            try await withBundle(#"{"process":{"capabilities":{"bounding":["CAP_KILL"]}}}"#) { bundle in
                let before = inode("\(bundle)/config.json")
                var parsed = try BundleSpec(bundle: bundle)
                try service.hardenSpec(&parsed, id: try ContainerID("s2"), config: config)
                #expect(!parsed.isChanged)
                try parsed.writeIfChanged()
                #expect(inode("\(bundle)/config.json") == before)
            }
        }
    }
}
