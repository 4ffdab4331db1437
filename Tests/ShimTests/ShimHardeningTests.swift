import GVisorConfig
import Glibc
import NIOPosix
import OCI
import ShimAPI
import SwiftProtobuf
import TTRPC
import Testing

@testable import Shim

/// Create's hardening checks answer with named errors before any mount or runsc process exists;
/// the daemon learns runsc.toml's path from `start`'s stdin. (The filter itself: HardeningTests
/// and integration/tests/50-hardening.sh.)
struct ShimHardeningTests {
    @Test func daemonEnvironmentCarriesTheConfigPathFromStartStdin() throws {
        var options = Runtimeoptions_V1_Options()
        options.configPath = "/etc/containerd/runsc-test.toml"
        let stdin: [UInt8] = try TypeURL.pack(options).serializedBytes()
        let environment = ShimHardening.daemonEnvironment(["A": "1"], startStdin: stdin)
        #expect(environment == ["A": "1", ShimHardening.configPathVariable: "/etc/containerd/runsc-test.toml"])
        // Nothing (or something else) on stdin: no path, and none inherited from containerd either.
        let inherited = [ShimHardening.configPathVariable: "/stale"]
        #expect(ShimHardening.daemonEnvironment(inherited, startStdin: []) == [:])
        #expect(ShimHardening.daemonEnvironment([:], startStdin: [1, 2, 3]) == [:])
    }

    /// A bundle with `spec` as config.json and a runsc.toml with `runscConfig`; Create's error.
    private func createError(spec: String, runscConfig: String) async throws -> TTRPCError? {
        let bundle = "/tmp/shim-hardening-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(bundle, 0o700)
        defer {
            unlink("\(bundle)/config.json")
            unlink("\(bundle)/runsc.toml")
            rmdir(bundle)
        }
        try ConfigFile.writeAtomically(spec, to: "\(bundle)/config.json")
        try ConfigFile.writeAtomically("[runsc_config]\n\(runscConfig)\n", to: "\(bundle)/runsc.toml")
        var options = Runtimeoptions_V1_Options()
        options.configPath = "\(bundle)/runsc.toml"
        let any = try TypeURL.pack(options)

        return try await withService { service in
            do {
                _ = try await service.create(
                    .with {
                        $0.id = "hardening"
                        $0.bundle = bundle
                        $0.options = any
                    }, context: TTRPCRequestContext(service: TaskMethods.service, method: "Create", streamID: 1))
                return nil
            } catch {
                return TTRPCError(mapping: error)
            }
        }
    }

    private func withService<T>(_ body: (ShimService) async throws -> T) async throws -> T {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let log = ShimLog(minimumLevel: .error, fd: -1)
        let service = ShimService(
            settings: .init(namespace: "test"), eventLoop: group.next(), reaper: Reaper(),
            publisher: EventPublisher(namespace: "test", log: log) { _ in }, log: log, onIdleShutdown: {})
        let result = try await body(service)
        try await group.shutdownGracefully()
        return result
    }

    @Test func unknownCapabilityInTheSpecIsNamed() async throws {
        let error = try await createError(
            spec: #"{"process":{"capabilities":{"bounding":["CAP_CHOWN","CAP_TELEPORT"]}}}"#,
            runscConfig: "network = \"none\"")
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("config.json: process.capabilities.bounding[1]: \"CAP_TELEPORT\"") == true)
    }

    @Test func badSeccompProfileIsNamedWhenOCISeccompIsOn() async throws {
        let spec =
            #"{"linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","#
            + #""syscalls":[{"names":["read"],"action":"SCMP_ACT_FROWN"}]}}}"#
        let error = try await createError(spec: spec, runscConfig: "network = \"none\"\noci-seccomp = true")
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("linux.seccomp.syscalls[0].action: \"SCMP_ACT_FROWN\"") == true)
    }

    @Test func netRawIsStrippedFromTheBundleSpec() async throws {
        let bundle = "/tmp/shim-hardening-netraw-\(getpid())"
        mkdir(bundle, 0o700)
        defer {
            unlink("\(bundle)/config.json")
            rmdir(bundle)
        }
        let spec = #"{"process":{"capabilities":{"bounding":["CAP_NET_RAW","CAP_KILL"]}}}"#
        try ConfigFile.writeAtomically(spec, to: "\(bundle)/config.json")
        try await withService { service in
            var spec = try BundleSpec(bundle: bundle)
            try service.hardenSpec(
                &spec, id: try ContainerID("netraw"), config: RunscShimConfig(runscConfig: ["network": "none"]))
            #expect(spec.isChanged)
            try spec.writeIfChanged()
        }
        let rewritten = try JSONValue.decode(try ConfigFile.readBytes("\(bundle)/config.json"), file: "config.json")
        #expect(
            rewritten
                == .object(["process": .object(["capabilities": .object(["bounding": .array([.string("CAP_KILL")])])])])
        )
    }
}
