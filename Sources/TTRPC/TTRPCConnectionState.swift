import NIOCore
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The server's per-connection decisions on inbound frames, kept free of NIO channels so that the fuzzer and the
/// tests drive exactly the code the server runs.
package struct TTRPCConnectionState: Sendable {
    /// What to do with one inbound element.
    package enum Action: Sendable {
        /// Answer at once (protocol errors, unknown methods).
        case reply(Frame)
        /// Run `handler` and answer with ``TTRPCConnectionState/response(to:payload:context:)``'s frame.
        case invoke(handler: TTRPCServiceRegistry.Handler, payload: Data, context: TTRPCRequestContext)
        /// Nothing to answer (Data, Response and unknown frame types).
        case ignore
    }

    private var lastStreamID: UInt32 = 0
    private let registry: TTRPCServiceRegistry

    package init(registry: TTRPCServiceRegistry) {
        self.registry = registry
    }

    package mutating func receive(_ element: FrameParser.Element, now: ContinuousClock.Instant = .now) -> Action {
        switch element {
        case .oversized(let header):
            return .reply(
                Self.errorFrame(
                    streamID: header.streamID,
                    TTRPCError.resourceExhausted(
                        "message length \(header.length) exceed maximum message size of "
                            + "\(FrameHeader.maximumPayloadLength)")))
        case .frame(let frame) where frame.type == .request:
            return receiveRequest(frame, now: now)
        case .frame:
            return .ignore
        }
    }

    private mutating func receiveRequest(_ frame: Frame, now: ContinuousClock.Instant) -> Action {
        let streamID = frame.streamID
        guard streamID % 2 == 1 else {
            return .reply(
                Self.errorFrame(
                    streamID: streamID, .invalidArgument("StreamID must be odd for client initiated streams")))
        }
        guard streamID > lastStreamID else {
            return .reply(
                Self.errorFrame(streamID: streamID, .invalidArgument("StreamID cannot be re-used and must increment")))
        }
        lastStreamID = streamID
        let request: Ttrpc_Request
        do {
            request = try Ttrpc_Request(serializedBytes: Array(frame.payload.readableBytesView))
        } catch {
            return .reply(Self.errorFrame(streamID: streamID, .invalidArgument("unmarshal request error: \(error)")))
        }
        switch registry.handler(service: request.service, method: request.method) {
        case .failure(let error):
            return .reply(Self.errorFrame(streamID: streamID, error))
        case .success(let handler):
            let context = TTRPCRequestContext(
                service: request.service, method: request.method, streamID: streamID,
                metadata: TTRPCMetadata(request.metadata),
                timeout: request.timeoutNano == 0 ? nil : .nanoseconds(request.timeoutNano), receivedAt: now)
            return .invoke(handler: handler, payload: request.payload, context: context)
        }
    }

    /// Runs a handler and builds its response frame; thrown errors become statuses (``TTRPCError/init(mapping:)``),
    /// and a cancellation caused by the deadline (`timedOut`, or the clock) becomes `DeadlineExceeded`.
    package static func response(
        to handler: TTRPCServiceRegistry.Handler, payload: Data, context: TTRPCRequestContext,
        timedOut: @Sendable () -> Bool = { false }
    ) async -> Frame {
        do {
            let output = try await handler(payload, context)
            var response = Ttrpc_Response()
            response.status = Google_Rpc_Status()
            response.payload = output
            return responseFrame(streamID: context.streamID, response)
        } catch {
            var mapped = TTRPCError(mapping: error)
            if mapped.code == .cancelled, timedOut() || context.isPastDeadline {
                mapped = .deadlineExceeded("context deadline exceeded")
            }
            return errorFrame(streamID: context.streamID, mapped)
        }
    }

    /// A Response frame carrying `error`'s status.
    package static func errorFrame(streamID: UInt32, _ error: TTRPCError) -> Frame {
        var response = Ttrpc_Response()
        response.status = error.status
        return responseFrame(streamID: streamID, response)
    }

    /// Encodes a Response; one too large for a frame is replaced by a `ResourceExhausted` status, as ttrpc does.
    package static func responseFrame(streamID: UInt32, _ response: Ttrpc_Response) -> Frame {
        // A Response is a status and bytes; serialising it cannot fail.
        let bytes: [UInt8] = try! response.serializedBytes()
        guard bytes.count <= FrameHeader.maximumPayloadLength else {
            return errorFrame(
                streamID: streamID,
                .resourceExhausted(
                    "message length \(bytes.count) exceed maximum message size of \(FrameHeader.maximumPayloadLength)"
                ))
        }
        return Frame(streamID: streamID, type: .response, payload: ByteBuffer(bytes: bytes))
    }
}
