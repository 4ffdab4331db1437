import Foundation
import GVisorConfig
import NIOPosix
import NVProxy
import OCI
import Runsc
import TTRPC
import Testing

@testable import Shim

/// The shim's nvproxy step at Create, on a bundle in a temporary directory: a fake GPU host with real
/// mknod'ed nodes (no GPU exists here; root is needed), a stand-in runsc script used only for
/// `nvproxy list-supported-drivers`, and Debian's real runsc for the nvproxy-less case.
@Suite struct ShimNVProxyTests {
    final class Scratch {
        let root: String
        var bundle: String { "\(root)/bundle" }
        var host: NVProxyHost { NVProxyHost(hostRoot: "\(root)/host") }

        init() throws {
            guard geteuid() == 0 else { throw NVProxyTestError("mknod(2) needs root; euid is \(geteuid())") }
            root = String(cString: mkdtemp(strdup("/tmp/shim-nvproxy-test.XXXXXX")))
            for directory in ["bundle", "host/dev", "host/proc/driver/nvidia", "host/sys"] {
                try FileManager.default.createDirectory(
                    atPath: "\(root)/\(directory)", withIntermediateDirectories: true)
            }
            try write(
                "host/proc/devices", "Character devices:\n195 nvidia-frontend\n507 nvidia-uvm\n\nBlock devices:\n")
            try write(
                "host/proc/driver/nvidia/version", "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.129.03  x\n")
            for (name, major, minor) in [("nvidiactl", 195, 255), ("nvidia-uvm", 507, 0), ("nvidia0", 195, 0)] {
                let dev = dev_t(major << 8 | minor)
                guard mknod("\(root)/host/dev/\(name)", S_IFCHR | 0o666, dev) == 0 else {
                    throw NVProxyTestError("mknod \(name): \(String(cString: strerror(errno)))")
                }
            }
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        func write(_ relative: String, _ text: String) throws {
            try text.write(toFile: "\(root)/\(relative)", atomically: false, encoding: .utf8)
        }

        /// Stand-in for runsc's `nvproxy list-supported-drivers` only.
        func standInRunsc(drivers: String) throws -> String {
            let path = "\(root)/runsc-stand-in"
            try write(
                "runsc-stand-in",
                "#!/bin/sh\n[ \"$*\" = \"nvproxy list-supported-drivers\" ] || exit 64\nprintf '\(drivers)\\n'\n")
            chmod(path, 0o755)
            return path
        }

        var spec: String { (try? String(contentsOfFile: "\(bundle)/config.json", encoding: .utf8)) ?? "" }
    }

    struct NVProxyTestError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static let gpuSpec = #"{"ociVersion":"1.0.2","process":{"env":["NVIDIA_VISIBLE_DEVICES=0"]},"linux":{}}"#
    static let plainSpec = #"{"ociVersion":"1.0.2","process":{"env":["PATH=/bin"]},"linux":{}}"#

    private func withService(_ body: (ShimService) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let log = ShimLog(minimumLevel: .error, fd: -1)
        let publisher = EventPublisher(namespace: "test", log: log) { _ in }
        let service = ShimService(
            settings: .init(namespace: "test"), eventLoop: group.next(), reaper: Reaper(), publisher: publisher,
            log: log, onIdleShutdown: {})
        try await body(service)
        try await group.shutdownGracefully()
    }

    /// Create's nvproxy step on the bundle's spec, which is written back (once) only when the step changed it.
    private func prepare(
        _ service: ShimService, _ config: RunscShimConfig, scratch: Scratch, id: String
    ) async throws -> RunscShimConfig {
        var spec = try BundleSpec(bundle: scratch.bundle)
        let result = try await service.prepareNVProxy(
            config, spec: &spec, id: ContainerID(id), host: scratch.host, executor: ProcessExecutor())
        try spec.writeIfChanged()
        return result
    }

    static func config(runsc: String, nvproxy: String) -> RunscShimConfig {
        RunscShimConfig(binaryName: runsc, runscConfig: ["nvproxy": nvproxy, "platform": "ptrace"])
    }

    @Test func aGPUContainerGetsItsDevicesAndKeepsNVProxy() async throws {
        let scratch = try Scratch()
        try scratch.write("bundle/config.json", Self.gpuSpec)
        let runsc = try scratch.standInRunsc(drivers: "535.129.03")
        try await withService { service in
            let config = Self.config(runsc: runsc, nvproxy: "true")
            let result = try await prepare(service, config, scratch: scratch, id: "gpu")
            #expect(result == config)
            #expect(result.runscFlags(substitutingID: try ContainerID("gpu")).contains("--nvproxy=true"))
        }
        let rewritten = try JSONValue.decode(Array(scratch.spec.utf8), file: "config.json")
        #expect(
            rewritten["linux"]?["devices"]?.arrayValue?.compactMap { $0["path"]?.stringValue }
                == ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia0"])
        #expect(rewritten["ociVersion"] == .string("1.0.2"))
    }

    @Test func anUnsupportedDriverFailsCreateNamingTheDriver() async throws {
        let scratch = try Scratch()
        try scratch.write("bundle/config.json", Self.gpuSpec)
        let runsc = try scratch.standInRunsc(drivers: "550.54.14\\n570.86.15")
        try await withService { service in
            do {
                _ = try await prepare(service, Self.config(runsc: runsc, nvproxy: "true"), scratch: scratch, id: "gpu")
                Issue.record("an unsupported driver was accepted")
            } catch {
                let error = TTRPCError(mapping: error)
                #expect(error.code == .failedPrecondition)
                #expect(
                    error.message
                        == "nvproxy: NVIDIA driver 535.129.03 is not supported by this runsc; supported: 550.54.14, 570.86.15"
                )
            }
        }
        #expect(scratch.spec == Self.gpuSpec)
    }

    @Test func debiansRunscRefusesGPUsAndRunsTheRestWithoutTheFlags() async throws {
        let scratch = try Scratch()
        let runsc = "/usr/bin/runsc"
        guard access(runsc, X_OK) == 0 else { throw NVProxyTestError("\(runsc) is missing: make deps installs it") }
        try await withService { service in
            try scratch.write("bundle/config.json", Self.gpuSpec)
            do {
                _ = try await prepare(service, Self.config(runsc: runsc, nvproxy: "true"), scratch: scratch, id: "gpu")
                Issue.record("a GPU container was accepted by an nvproxy-less runsc")
            } catch {
                let error = TTRPCError(mapping: error)
                #expect(error.code == .failedPrecondition)
                #expect(error.message.hasPrefix("nvproxy is requested"), "\(error.message)")
                #expect(error.message.contains("/usr/bin/runsc has no nvproxy support"), "\(error.message)")
            }
            #expect(scratch.spec == Self.gpuSpec)

            try scratch.write("bundle/config.json", Self.plainSpec)
            for value in ["true", "false"] {
                let result = try await prepare(
                    service, Self.config(runsc: runsc, nvproxy: value), scratch: scratch, id: "plain")
                #expect(result.runscConfig == ["platform": "ptrace"])
                #expect(scratch.spec == Self.plainSpec)
            }
        }
    }

    @Test func withoutNVProxyFlagsNothingRuns() async throws {
        let scratch = try Scratch()
        try scratch.write("bundle/config.json", Self.gpuSpec)
        try await withService { service in
            let config = RunscShimConfig(binaryName: "/nonexistent/runsc", runscConfig: ["platform": "ptrace"])
            let result = try await prepare(service, config, scratch: scratch, id: "gpu")
            #expect(result == config)
        }
        #expect(scratch.spec == Self.gpuSpec)
    }
}
