import FoundationEssentials
import OCI
import SwiftProtobuf
import TTRPC
import Testing

@testable import Shim

struct ExecSpecTests {
    private func any(_ json: String) -> Google_Protobuf_Any {
        var any = Google_Protobuf_Any()
        any.typeURL = "types.containerd.io/opencontainers/runtime-spec/1/Process"
        any.value = Data(json.utf8)
        return any
    }

    @Test func setsTerminalAndKeepsEverythingElseExactly() throws {
        let spec = """
            {"args":["sh","-c","echo hi"],"env":["A=1"],"cwd":"/","terminal":false,
             "user":{"uid":4294967294,"gid":0},
             "rlimits":[{"type":"RLIMIT_NOFILE","hard":18446744073709551615,"soft":1024}],
             "capabilities":{"bounding":["CAP_KILL"]},"noNewPrivileges":true,"oomScoreAdj":-998}
            """
        let patched = try Container.execSpec(any(spec), terminal: true)
        let object = try JSONValue.decode(patched, file: "patched")
        let original = try JSONValue.decode(Array(spec.utf8), file: "original")
        #expect(object["terminal"] == .bool(true))
        var expected = original
        expected["terminal"] = .bool(true)
        #expect(object == expected)
        #expect(String(decoding: patched, as: UTF8.self).contains("18446744073709551615"))
        #expect(String(decoding: patched, as: UTF8.self).contains("-998"))
    }

    @Test func refusesWhatIsNotAProcess() {
        for (json, text) in [("[1,2]", "got an array"), ("{\"args\":[]}", "spec.args"), ("not json", "not valid JSON")]
        {
            #expect {
                _ = try Container.execSpec(any(json), terminal: false)
            } throws: { error in
                guard let error = error as? ShimError else { return false }
                return TTRPCError(mapping: error).code == .invalidArgument && error.message.contains(text)
            }
        }
    }

    /// Issue 17: exec ids `init` and `shim` wrote runsc's pid files over the bundle's `init.pid` and `shim.pid`, and
    /// deleted them afterwards. Exec files now live under their own prefix, and no two ids share a file.
    @Test func execFilesNeverNameTheBundlesOwnFiles() {
        let bundleFiles: Set<String> = [
            "/b/init.pid", "/b/shim.pid", "/b/address", "/b/config.json", "/b/log.json", "/b/init-internal.pid",
        ]
        var seen: Set<String> = []
        for id in [
            "init", "shim", "address", "config", "log", "init-internal", "a", "a-internal", "a.pid", "a.internal",
        ] {
            let files = BundleFiles.ExecFiles(bundle: "/b", execID: id)
            for file in [files.processSpec, files.pid, files.internalPid] {
                #expect(!bundleFiles.contains(file), "\(id): \(file)")
                #expect(seen.insert(file).inserted, "\(id): \(file) is another exec's")
            }
        }
        #expect(BundleFiles.ExecFiles(bundle: "/b", execID: "init").pid == "/b/exec.init.pid")
    }
}
