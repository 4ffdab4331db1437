import GVisorConfig
import Glibc
import NIOPosix
import ShimAPI
import SwiftProtobuf
import TTRPC
import Testing

@testable import Shim

/// Bad Create requests are refused with a code and a message that names the problem, before any
/// runsc process or mount exists. (The successful paths run end to end in integration/.)
struct ShimServiceTests {
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

    private func context() -> TTRPCRequestContext {
        TTRPCRequestContext(service: TaskMethods.service, method: "Create", streamID: 1)
    }

    private func expectCode(
        _ code: TTRPCStatusCode, containing text: String, _ operation: () async throws -> Void
    ) async {
        do {
            try await operation()
            Issue.record("expected \(code), but the call succeeded")
        } catch {
            // What the TTRPC server sends: the status the error maps to at the edge.
            let status = TTRPCError(mapping: error)
            #expect(status.code == code)
            #expect(status.message.contains(text), "message: \(status.message)")
        }
    }

    private func createRequest(id: String, options: Google_Protobuf_Any? = nil)
        -> Containerd_Task_V2_CreateTaskRequest
    {
        .with {
            $0.id = id
            $0.bundle = "/tmp/nonexistent"
            if let options { $0.options = options }
        }
    }

    @Test(arguments: ["../etc", "a/b", "", String(repeating: "x", count: 77)])
    func badIDsAreInvalidArguments(id: String) async throws {
        try await withService { service in
            await expectCode(.invalidArgument, containing: "id: container id") {
                _ = try await service.create(
                    .with {
                        $0.id = id; $0.bundle = "/tmp/nonexistent"
                    }, context: context())
            }
        }
    }

    @Test func malformedRunscTOMLNamesFileAndLine() async throws {
        let path = "/tmp/shim-service-test-\(getpid()).toml"
        try ConfigFile.writeAtomically("root = \"x\"\n[runsc_config\n", to: path)
        defer { unlink(path) }
        try await withService { service in
            var options = Runtimeoptions_V1_Options()
            options.configPath = path
            let any = try TypeURL.pack(options)
            await expectCode(.invalidArgument, containing: path) {
                _ = try await service.create(createRequest(id: "c1", options: any), context: context())
            }
            // The id was released: the same Create fails the same way, not with AlreadyExists.
            await expectCode(.invalidArgument, containing: "line 2") {
                _ = try await service.create(createRequest(id: "c1", options: any), context: context())
            }
        }
    }

    @Test func unsupportedOptionsTypeIsNamed() async throws {
        try await withService { service in
            var any = Google_Protobuf_Any()
            any.typeURL = "containerd.runc.v1.NoSuchOptions"
            await expectCode(.invalidArgument, containing: "containerd.runc.v1.NoSuchOptions") {
                _ = try await service.create(createRequest(id: "c2", options: any), context: context())
            }
        }
    }

    /// Without rootfs mounts the spec's root must hold something; runsc would otherwise boot an empty root.
    @Test(arguments: ["missing", "empty"])
    func unmountedRootMustHoldAFileSystem(kind: String) async throws {
        let bundle = "/tmp/shim-service-test-root-\(getpid())-\(kind)"
        let toml = "\(bundle).toml"
        try makeDirectories(bundle, mode: 0o755)
        defer {
            rmdir("\(bundle)/rootfs")
            unlink("\(bundle)/config.json")
            rmdir(bundle)
            unlink(toml)
        }
        if kind == "empty" { try makeDirectories("\(bundle)/rootfs", mode: 0o755) }
        try ConfigFile.writeAtomically(#"{"ociVersion":"1.0.2","root":{"path":"rootfs"}}"#, to: "\(bundle)/config.json")
        try ConfigFile.writeAtomically("root = \"\(bundle)/runsc-root\"\n", to: toml)
        try await withService { service in
            var options = Runtimeoptions_V1_Options()
            options.configPath = toml
            var request = createRequest(id: "c3", options: try TypeURL.pack(options))
            request.bundle = bundle
            let problem = kind == "empty" ? "is an empty directory" : "cannot be opened"
            await expectCode(.invalidArgument, containing: "rootfs: no rootfs mounts were given and \(bundle)/rootfs") {
                _ = try await service.create(request, context: context())
            }
            await expectCode(.invalidArgument, containing: problem) {
                _ = try await service.create(request, context: context())
            }
        }
        #expect(access("\(bundle)/runsc-root", F_OK) != 0, "runsc state left behind")
    }

    @Test(arguments: [0, 65, 9999] as [UInt32])
    func invalidSignalsAreNamed(signal: UInt32) {
        #expect {
            try Container.checkSignal(signal)
        } throws: { error in
            "\(error)".contains("invalid signal \(signal): expected a signal number from 1 to 64")
        }
    }

    @Test func unknownContainersAreNotFound() async throws {
        try await withService { service in
            await expectCode(.notFound, containing: "nope") {
                _ = try await service.state(.with { $0.id = "nope" }, context: context())
            }
            // The container is looked up first, as in gVisor's shim: the error names it, not the exec.
            await expectCode(.notFound, containing: "container nope not created") {
                _ = try await service.kill(
                    .with {
                        $0.id = "nope"; $0.execID = "exec1"
                    }, context: context())
            }
        }
    }
}
