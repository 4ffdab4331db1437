import SwiftProtobuf
import TTRPC

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Publishes task events to containerd through `containerd.services.events.ttrpc.v1.Events/Forward` on the
/// socket named by `TTRPC_ADDRESS`.
///
/// One attempt per call, limited by ``timeout`` (5 s like containerd's publisher); queueing and retries are the
/// caller's policy. The client reconnects by itself after the connection closes.
public struct EventsForwarder: Sendable {
    public static let service = "containerd.services.events.ttrpc.v1.Events"
    public static let forwardMethod = TTRPCMethod<
        Containerd_Services_Events_Ttrpc_V1_ForwardRequest, Google_Protobuf_Empty
    >(service: service, method: "Forward")

    public let client: TTRPCClient
    public var timeout: Duration

    public init(client: TTRPCClient, timeout: Duration = .seconds(5)) {
        self.client = client
        self.timeout = timeout
    }

    /// The envelope containerd expects: bare-URL Any, the event's topic, the namespace.
    public static func envelope<Event: ContainerdEvent>(
        for event: Event, namespace: String, timestamp: Date = Date()
    ) throws -> Containerd_Services_Events_Ttrpc_V1_Envelope {
        var envelope = Containerd_Services_Events_Ttrpc_V1_Envelope()
        envelope.timestamp = Google_Protobuf_Timestamp(date: timestamp)
        envelope.namespace = namespace
        envelope.topic = Event.topic
        envelope.event = try TypeURL.pack(event)
        return envelope
    }

    /// Forwards `event` in `namespace`.
    public func forward<Event: ContainerdEvent>(
        _ event: Event, namespace: String, timestamp: Date = Date()
    ) async throws {
        try await forward(Self.envelope(for: event, namespace: namespace, timestamp: timestamp))
    }

    /// Forwards a prepared envelope; its namespace also travels as metadata, as containerd's own publisher sends it.
    public func forward(_ envelope: Containerd_Services_Events_Ttrpc_V1_Envelope) async throws(TTRPCError) {
        var request = Containerd_Services_Events_Ttrpc_V1_ForwardRequest()
        request.envelope = envelope
        _ = try await client.call(
            Self.forwardMethod, request, metadata: ContainerdMetadata.namespace(envelope.namespace), timeout: timeout)
    }
}
