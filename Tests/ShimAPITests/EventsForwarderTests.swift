import Foundation
import NIOCore
import ShimAPI
import SwiftProtobuf
import TTRPC
import Testing

private struct Forwarded: Sendable {
    var request: Containerd_Services_Events_Ttrpc_V1_ForwardRequest
    var context: TTRPCRequestContext
}

@Suite("Events forwarder")
struct EventsForwarderTests {
    @Test("Forward carries the envelope, the namespace metadata and a 5 s timeout")
    func forwardToTTRPCServer() async throws {
        let seen = Recorder<Forwarded>()
        var registry = TTRPCServiceRegistry()
        registry.register(EventsForwarder.forwardMethod) { request, context in
            await seen.record(Forwarded(request: request, context: context))
            return Google_Protobuf_Empty()
        }
        try await withServerAndClient(registry) { client in
            var exit = Containerd_Events_TaskExit()
            exit.containerID = "c1"
            exit.id = "c1"
            exit.pid = 77
            exit.exitStatus = 3
            let at = Date(timeIntervalSince1970: 1_700_000_000.25)
            try await EventsForwarder(client: client).forward(exit, namespace: "k8s.io", timestamp: at)
            let forwarded = try #require(await seen.values.first)
            let envelope = forwarded.request.envelope
            #expect(envelope.namespace == "k8s.io")
            #expect(envelope.topic == "/tasks/exit")
            #expect(envelope.timestamp == Google_Protobuf_Timestamp(date: at))
            #expect(envelope.event.typeURL == "containerd.events.TaskExit")
            #expect(try TypeURL.unpack(envelope.event, as: Containerd_Events_TaskExit.self) == exit)
            #expect(forwarded.context.containerdNamespace == "k8s.io")
            #expect(forwarded.context.timeout == .seconds(5))
            #expect(forwarded.context.service == "containerd.services.events.ttrpc.v1.Events")
            #expect(forwarded.context.method == "Forward")
        }
    }

    @Test("a real containerd accepts a forwarded TaskExit, decodes its bare type URL, and rejects a bad topic")
    func forwardToContainerd() async throws {
        try await PrivateContainerd.with { containerd, daemon in
            let events = try ChildProcess(
                "/usr/bin/ctr", ["--address", containerd.grpcAddress, "events"],
                outputPath: containerd.base + "/events.log")
            let group = TTRPCEventLoopGroup.make()
            let client = TTRPCClient(unixDomainSocketPath: containerd.ttrpcAddress, group: group)
            let forwarder = EventsForwarder(client: client)
            do {
                var exit = Containerd_Events_TaskExit()
                exit.containerID = "swift-ttrpc-interop"
                exit.id = "swift-ttrpc-interop"
                exit.pid = 4321
                exit.exitStatus = 137
                // ctr may subscribe after our first event; forward until it prints one.
                let deadline = ContinuousClock.now + .seconds(20)
                var printed = false
                while !printed, ContinuousClock.now < deadline {
                    try await forwarder.forward(exit, namespace: "ttrpc-test")
                    try await Task.sleep(for: .milliseconds(200))
                    printed = events.output.contains("/tasks/exit")
                }
                let line = try #require(
                    events.output.split(separator: "\n").first { $0.contains("/tasks/exit") },
                    "ctr events printed nothing:\n\(events.output)\ncontainerd:\n\(daemon.output)")
                #expect(line.contains("ttrpc-test"))
                #expect(line.contains("\"container_id\":\"swift-ttrpc-interop\""))
                #expect(line.contains("\"exit_status\":137"))

                var bad = try EventsForwarder.envelope(for: exit, namespace: "ttrpc-test")
                bad.topic = "tasks exit"
                let error = await #expect(throws: TTRPCError.self) { try await forwarder.forward(bad) }
                #expect(error?.code == .invalidArgument)
                #expect(error?.message.contains("must start with '/'") == true)
            } catch {
                await client.close()
                await events.stop()
                try await group.shutdownGracefully()
                throw error
            }
            await client.close()
            await events.stop()
            try await group.shutdownGracefully()
        }
    }
}
