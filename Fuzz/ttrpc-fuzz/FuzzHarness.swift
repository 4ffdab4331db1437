// The fuzz harness, shared by the ttrpc-fuzz executable and (through a symbolic link) by ShimAPITests, which replays
// the committed corpus and crash regressions through it on every test run.

import Dispatch
import NIOCore
import NIOPosix
import ShimAPI
import SwiftProtobuf
import TTRPC

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Feeds one input through everything a peer's bytes can reach: the frame parser (in input-chosen chunk sizes),
/// the server's per-connection dispatch, the Task service glue with its message decoding, and the client's reading
/// of Response frames. Invariant violations trap, which libFuzzer reports as crashes.
enum FuzzHarness {
    /// The first byte picks the chunk sizes and a small payload limit for a second pass, which reaches the
    /// oversized-frame skipping with short inputs; the rest is the byte stream a connection would receive.
    static func run(_ input: [UInt8]) {
        guard let seed = input.first else { return }
        let stream = input.dropFirst()
        feed(stream, seed: seed, parser: FrameParser())
        feed(stream, seed: seed, parser: FrameParser(maximumPayloadLength: Int(seed % 64)))
        // The stream as a single message, too.
        let bytes = Array(stream)
        _ = try? Ttrpc_Response(serializedBytes: bytes)
        if let request = try? Ttrpc_Request(serializedBytes: bytes) {
            _ = TTRPCMetadata(request.metadata)["containerd-namespace-ttrpc"]
        }
    }

    private static func feed(_ stream: ArraySlice<UInt8>, seed: UInt8, parser: FrameParser) {
        var parser = parser
        var connection = TTRPCConnectionState(registry: registry)
        var buffer = ByteBuffer()
        var offset = stream.startIndex
        var chunk = Int(seed % 31) + 1
        var consumed = 0
        while offset < stream.endIndex {
            let end = min(stream.endIndex, offset + chunk)
            buffer.writeBytes(stream[offset..<end])
            offset = end
            chunk = chunk * 7 % 31 + 1
            while true {
                let before = buffer.readerIndex
                let element: FrameParser.Element?
                do {
                    element = try parser.next(from: &buffer)
                } catch {
                    guard case .malformedHeader = error else { fatalError("unexpected parser error \(error)") }
                    return
                }
                consumed += buffer.readerIndex - before
                guard let element else { break }
                check(element, consumedBytes: stream.prefix(consumed), limit: parser.maximumPayloadLength)
                handle(connection.receive(element))
                readAsClient(element)
            }
        }
        do {
            try parser.finish(leftover: buffer)
        } catch {
            guard case .truncated(let missing) = error, missing > 0 else { fatalError("bad finish error \(error)") }
        }
    }

    /// A re-encoded frame must reproduce the bytes it was parsed from.
    private static func check(_ element: FrameParser.Element, consumedBytes: ArraySlice<UInt8>, limit: Int) {
        guard case .frame(let frame) = element else {
            if case .oversized(let header) = element {
                precondition(Int(header.length) > limit, "oversized report under the limit")
            }
            return
        }
        precondition(frame.payload.readableBytes <= limit, "frame over the limit")
        var encoded = ByteBuffer()
        do {
            try frame.encode(into: &encoded)
        } catch {
            fatalError("a parsed frame does not encode: \(error)")
        }
        precondition(
            Array(encoded.readableBytesView) == Array(consumedBytes.suffix(encoded.readableBytes)),
            "re-encoded frame differs from its input")
    }

    private static func handle(_ action: TTRPCConnectionState.Action) {
        switch action {
        case .ignore:
            break
        case .reply(let frame):
            checkResponse(frame, expectOK: false)
        case .invoke(let handler, let payload, let context):
            let frame = runBlocking {
                await TTRPCConnectionState.response(to: handler, payload: payload, context: context)
            }
            precondition(frame.streamID == context.streamID, "answer on the wrong stream")
            checkResponse(frame, expectOK: nil)
        }
    }

    /// Server answers must be decodable Responses with a status, and errors must carry no payload.
    private static func checkResponse(_ frame: Frame, expectOK: Bool?) {
        precondition(frame.type == .response, "server sent a \(frame.type) frame")
        guard let response = try? Ttrpc_Response(serializedBytes: Array(frame.payload.readableBytesView)) else {
            fatalError("server sent an undecodable Response")
        }
        precondition(response.hasStatus, "Response without status")
        if response.status.code != 0 {
            precondition(response.payload.isEmpty, "error Response with payload")
            precondition(expectOK != true, "expected OK")
        }
    }

    /// What a client does with the same frame.
    private static func readAsClient(_ element: FrameParser.Element) {
        guard case .frame(let frame) = element, frame.type == .response else { return }
        if let response = try? Ttrpc_Response(serializedBytes: Array(frame.payload.readableBytesView)),
            response.hasStatus, response.status.code != 0
        {
            _ = TTRPCError(status: response.status).description
        }
    }

    /// Runs the async handler path to completion from a synchronous caller (libFuzzer's callback, or a test).
    ///
    /// The task runs on a thread of its own, so waiting here never starves Swift's cooperative pool, which the
    /// caller may itself be running on.
    private static func runBlocking(_ operation: @escaping @Sendable () async -> Frame) -> Frame {
        let done = DispatchSemaphore(value: 0)
        let result = ResultSlot()
        Task(executorPreference: handlerExecutor) {
            result.frame = await operation()
            done.signal()
        }
        done.wait()
        return result.frame!
    }

    private static let handlerExecutor = ThreadTaskExecutor(
        eventLoop: MultiThreadedEventLoopGroup(numberOfThreads: 1).next())

    /// A task executor on one NIO event loop thread.
    private final class ThreadTaskExecutor: TaskExecutor {
        let eventLoop: any EventLoop

        init(eventLoop: any EventLoop) {
            self.eventLoop = eventLoop
        }

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        }
    }

    /// Written by one task before a semaphore signal, read after the wait: the semaphore orders the accesses.
    private final class ResultSlot: @unchecked Sendable {
        var frame: Frame?
    }

    /// The Task service as a shim registers it, with handlers that decode every Any they are given, plus
    /// containerd's Events/Forward, so typed payload decoding is reachable from the byte stream.
    static let registry: TTRPCServiceRegistry = {
        var registry = TTRPCServiceRegistry()
        registry.register(taskService: DecodingTaskService())
        registry.register(EventsForwarder.forwardMethod) { request, _ in
            let envelope = request.envelope
            for type in ContainerdEvents.all {
                _ = try? unpack(envelope.event, as: type)
            }
            guard ContainerdEvents.topics[envelope.event.typeURL] != nil else {
                throw TTRPCError.invalidArgument("unknown event type \(envelope.event.typeURL)")
            }
            return Google_Protobuf_Empty()
        }
        return registry
    }()

    private static func unpack<M: Message>(_ any: Google_Protobuf_Any, as type: M.Type) throws -> M {
        try TypeURL.unpack(any, as: type)
    }

    private struct DecodingTaskService: TaskService {
        func create(_ request: Containerd_Task_V2_CreateTaskRequest, context: TTRPCRequestContext) async throws
            -> Containerd_Task_V2_CreateTaskResponse
        {
            let options = try TypeURL.unpack(request.options, as: Runtimeoptions_V1_Options.self)
            var response = Containerd_Task_V2_CreateTaskResponse()
            response.pid = UInt32(truncatingIfNeeded: options.configPath.utf8.count + request.rootfs.count)
            return response
        }

        func state(_ request: Containerd_Task_V2_StateRequest, context: TTRPCRequestContext) async throws
            -> Containerd_Task_V2_StateResponse
        {
            var response = Containerd_Task_V2_StateResponse()
            response.id = request.id
            response.execID = request.execID
            response.bundle = context.containerdNamespace ?? ""
            return response
        }

        func pids(_ request: Containerd_Task_V2_PidsRequest, context: TTRPCRequestContext) async throws
            -> Containerd_Task_V2_PidsResponse
        {
            var info = Containerd_V1_Types_ProcessInfo()
            var details = Containerd_Runc_V1_ProcessDetails()
            details.execID = request.id
            info.info = try TypeURL.pack(details)
            var response = Containerd_Task_V2_PidsResponse()
            response.processes = [info]
            return response
        }

        func update(_ request: Containerd_Task_V2_UpdateTaskRequest, context: TTRPCRequestContext) async throws
            -> Google_Protobuf_Empty
        {
            guard request.hasResources else { throw TTRPCError.invalidArgument("resources required") }
            return Google_Protobuf_Empty()
        }

        func stats(_ request: Containerd_Task_V2_StatsRequest, context: TTRPCRequestContext) async throws
            -> Containerd_Task_V2_StatsResponse
        {
            var response = Containerd_Task_V2_StatsResponse()
            response.stats = try TypeURL.pack(Io_Containerd_Cgroups_V1_Metrics())
            return response
        }
    }
}
