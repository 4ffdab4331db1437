import NIOCore
import NIOPosix
import Testing

@testable import TTRPC

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

private struct DomainError: Error, CustomStringConvertible {
    var description: String { "disk on fire" }
}

private struct ConvertibleError: TTRPCStatusConvertible {
    var ttrpcError: TTRPCError { .failedPrecondition("container is running: conflict") }
}

@Suite("TTRPC server")
struct ServerTests {
    @Test(
        "a call is answered with OK and the handler's payload",
        arguments: [TTRPCServer.HandlerExecution.concurrent, .eventLoop])
    func echo(execution: TTRPCServer.HandlerExecution) async throws {
        var configuration = TTRPCServer.Configuration()
        configuration.handlerExecution = execution
        try await withServer(TestServices.registry(), configuration: configuration) { _, path, group in
            try await withRawConnection(to: path, group: group) { connection in
                try await connection.send(
                    makeRequest(service: TestServices.echo, method: "Echo", payload: [1, 2, 3]), streamID: 1)
                let (streamID, response) = try await connection.response()
                #expect(streamID == 1)
                #expect(response.hasStatus)
                #expect(response.status.code == 0)
                #expect(Array(response.payload) == [1, 2, 3])
            }
        }
    }

    @Test(
        "unknown services and methods are Unimplemented, worded like ttrpc",
        arguments: [("no.such.Service", "Echo", "service no.such.Service"), (TestServices.echo, "Nope", "method Nope")])
    func unknownMethod(service: String, method: String, message: String) async throws {
        try await withServer(TestServices.registry()) { _, path, group in
            try await withClient(path, group: group) { client in
                let error = await #expect(throws: TTRPCError.self) {
                    try await client.call(service: service, method: method, payload: Data())
                }
                #expect(error == TTRPCError(.unimplemented, message))
            }
        }
    }

    @Test("stream ids must be odd and increasing; bad ones are answered on their own id and the connection lives on")
    func streamIDs() async throws {
        try await withServer(TestServices.registry()) { _, path, group in
            try await withRawConnection(to: path, group: group) { connection in
                let echo = makeRequest(service: TestServices.echo, method: "Echo", payload: [9])
                for (streamID, expected) in [
                    (2, TTRPCError.invalidArgument("StreamID must be odd for client initiated streams")),
                    (0, .invalidArgument("StreamID must be odd for client initiated streams")),
                ] as [(UInt32, TTRPCError)] {
                    try await connection.send(echo, streamID: streamID)
                    let (answeredID, response) = try await connection.response()
                    #expect(answeredID == streamID)
                    #expect(TTRPCError(status: response.status) == expected)
                }
                try await connection.send(echo, streamID: 7)
                let (first, ok) = try await connection.response()
                #expect(first == 7 && ok.status.code == 0)
                for reused in [7, 5] as [UInt32] {
                    try await connection.send(echo, streamID: reused)
                    let (answeredID, response) = try await connection.response()
                    #expect(answeredID == reused)
                    #expect(
                        TTRPCError(status: response.status)
                            == .invalidArgument("StreamID cannot be re-used and must increment"))
                }
                try await connection.send(echo, streamID: 9)
                let (last, again) = try await connection.response()
                #expect(last == 9 && again.status.code == 0 && Array(again.payload) == [9])
            }
        }
    }

    @Test("an undecodable Request is InvalidArgument on its stream id")
    func undecodableRequest() async throws {
        try await withServer(TestServices.registry()) { _, path, group in
            try await withRawConnection(to: path, group: group) { connection in
                // Field 1 declared as 100 bytes long with only 2 present.
                try await connection.send(
                    Frame(streamID: 3, type: .request, payload: ByteBuffer(bytes: [0x0A, 100, 1, 2])))
                let (streamID, response) = try await connection.response()
                #expect(streamID == 3)
                #expect(response.status.code == TTRPCStatusCode.invalidArgument.rawValue)
                #expect(response.status.message.hasPrefix("unmarshal request error"))
            }
        }
    }

    @Test("Data, Response and unknown frame types are ignored")
    func ignoredFrames() async throws {
        try await withServer(TestServices.registry()) { _, path, group in
            try await withRawConnection(to: path, group: group) { connection in
                for type in [FrameType.data, .response, FrameType(rawValue: 0), FrameType(rawValue: 200)] {
                    try await connection.send(Frame(streamID: 1, type: type, payload: ByteBuffer(bytes: [1, 2, 3])))
                }
                try await connection.send(
                    makeRequest(service: TestServices.echo, method: "Echo", payload: [4]), streamID: 1)
                let (streamID, response) = try await connection.response()
                #expect(streamID == 1)
                #expect(Array(response.payload) == [4])
            }
        }
    }

    @Test("an oversized frame gets RESOURCE_EXHAUSTED on its stream id and the next frame still works")
    func oversizedFrame() async throws {
        try await withServer(TestServices.registry()) { _, path, group in
            try await withRawConnection(to: path, group: group) { connection in
                let length = FrameHeader.maximumPayloadLength + 1
                var header = ByteBuffer()
                header.writeFrameHeader(FrameHeader(length: UInt32(length), streamID: 1, type: .request))
                try await connection.send(Array(header.readableBytesView))
                let (streamID, response) = try await connection.response()
                #expect(streamID == 1)
                #expect(
                    TTRPCError(status: response.status)
                        == .resourceExhausted("message length 4194305 exceed maximum message size of 4194304"))
                // The body follows in pieces, then a normal request on the same connection.
                let piece = [UInt8](repeating: 0x5A, count: 1 << 16)
                var sent = 0
                while sent < length {
                    let count = min(piece.count, length - sent)
                    try await connection.send(Array(piece[0..<count]))
                    sent += count
                }
                try await connection.send(
                    makeRequest(service: TestServices.echo, method: "Echo", payload: [7]), streamID: 3)
                let (nextID, next) = try await connection.response()
                #expect(nextID == 3)
                #expect(next.status.code == 0 && Array(next.payload) == [7])
            }
        }
    }

    @Test("the call observer sees each call's arrival, then its answer with the time between")
    func callObserverSeesArrivalAndAnswer() async throws {
        let seen = Recorder<String>()
        var configuration = TTRPCServer.Configuration()
        configuration.callObserver = TTRPCCallObserver(
            received: { call in Task { await seen.record("received \(call.method) \(call.streamID)") } },
            replied: { call, duration in
                Task { await seen.record("replied \(call.method) \(call.streamID) \(duration >= .zero)") }
            })
        try await withServer(TestServices.registry(), configuration: configuration) { _, path, group in
            try await withClient(path, group: group) { client in
                _ = try await client.call(service: TestServices.echo, method: "Echo", payload: Data([1]))
            }
            let deadline = ContinuousClock.now + .seconds(5)
            while await seen.values.count < 2, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(Set(await seen.values) == ["received Echo 1", "replied Echo 1 true"])
        }
    }

    @Test("a malformed header or a truncated frame closes that connection only")
    func badInputClosesConnection() async throws {
        let errors = Recorder<String>()
        var configuration = TTRPCServer.Configuration()
        configuration.connectionErrorHandler = { error in Task { await errors.record(String(describing: error)) } }
        try await withServer(TestServices.registry(), configuration: configuration) { _, path, group in
            try await withClient(path, group: group) { client in
                _ = try await client.call(service: TestServices.echo, method: "Echo", payload: Data([1]))
                let malformed = try await withRawConnection(to: path, group: group) { connection in
                    try await connection.send([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, 1, 0])
                    return try await connection.closedByServer()
                }
                #expect(malformed)
                let truncated = try await withRawConnection(to: path, group: group) { connection in
                    try await connection.send([0, 0, 0, 50, 0, 0, 0, 1, 1, 0, 1, 2, 3])
                    connection.finishSending()
                    return try await connection.closedByServer()
                }
                #expect(truncated)
                // The client's own connection was never disturbed.
                let payload = try await client.call(service: TestServices.echo, method: "Echo", payload: Data([2]))
                #expect(Array(payload) == [2])
            }
            let deadline = ContinuousClock.now + .seconds(5)
            while await errors.values.count < 2, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            let seen = await errors.values
            #expect(seen.contains { $0.contains("malformed frame header") })
            #expect(seen.contains { $0.contains("47 byte(s) missing") })
        }
    }

    @Test("random bytes never take the server down")
    func randomBytes() async throws {
        var generator = SeededGenerator(seed: 0x7474_7270_6300)
        try await withServer(TestServices.registry()) { _, path, group in
            for round in 0..<60 {
                var bytes = (0..<Int.random(in: 1...400, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                if round % 3 == 0 {
                    // Keep a plausible header so the body reaches request decoding.
                    bytes.replaceSubrange(
                        0..<min(10, bytes.count), with: [0, 0, 0, UInt8(min(bytes.count, 250)), 0, 0, 0, 1, 1, 0])
                }
                let chunked = bytes
                try await withRawConnection(to: path, group: group, timeout: .seconds(5)) { connection in
                    try await connection.send(chunked)
                    connection.finishSending()
                    while let element = try await connection.next() {
                        guard case .frame(let frame) = element, frame.type == .response else {
                            Issue.record("server sent \(element)")
                            return
                        }
                        let response = try Ttrpc_Response(serializedBytes: Array(frame.payload.readableBytesView))
                        #expect(response.hasStatus)
                    }
                }
            }
            try await withClient(path, group: group) { client in
                let payload = try await client.call(service: TestServices.echo, method: "Echo", payload: Data([42]))
                #expect(Array(payload) == [42])
            }
        }
    }

    @Test("handlers see metadata, stream id and the client's timeout")
    func requestContext() async throws {
        let seen = Recorder<TTRPCRequestContext>()
        try await withServer(TestServices.registry(onCall: { await seen.record($0) })) { _, path, group in
            var configuration = TTRPCClient.Configuration()
            configuration.metadata = ["Client-Wide": "yes"]
            try await withClient(path, group: group, configuration: configuration) { client in
                let start = ContinuousClock.now
                _ = try await client.call(
                    service: TestServices.echo, method: "Echo", payload: Data(),
                    metadata: ["containerd-namespace-ttrpc": "k8s.io", "multi": "a"], timeout: .seconds(30))
                let end = ContinuousClock.now
                _ = try await client.call(service: TestServices.echo, method: "Echo", payload: Data())
                let contexts = await seen.values
                try #require(contexts.count == 2)
                let first = contexts[0]
                #expect(first.service == TestServices.echo && first.method == "Echo")
                #expect(first.streamID == 1)
                #expect(first.metadata("containerd-namespace-ttrpc") == "k8s.io")
                #expect(first.metadata("CONTAINERD-NAMESPACE-TTRPC") == "k8s.io")
                #expect(first.metadata("client-wide") == "yes")
                #expect(first.metadata.values(for: "multi") == ["a"])
                #expect(first.timeout == .seconds(30))
                let deadline = try #require(first.deadline)
                #expect(deadline > start + .seconds(29) && deadline < end + .seconds(30))
                #expect(contexts[1].streamID == 3)
                #expect(contexts[1].timeout == nil && contexts[1].deadline == nil)
                #expect(contexts[1].metadata("containerd-namespace-ttrpc") == nil)
            }
        }
    }

    @Test("thrown TTRPCErrors keep their code and message", arguments: TTRPCStatusCode.allCases.filter { $0 != .ok })
    func errorCodes(code: TTRPCStatusCode) async throws {
        let registry = TestServices.registry(error: { TTRPCError(code, "failed with \(code)") })
        try await withServer(registry) { _, path, group in
            try await withClient(path, group: group) { client in
                let error = await #expect(throws: TTRPCError.self) {
                    try await client.call(service: TestServices.echo, method: "Fail", payload: Data())
                }
                #expect(error?.code == code)
                #expect(error?.message == "failed with \(code)")
            }
        }
    }

    @Test(
        "other errors map to Unknown with their description, convertible ones to their own status",
        arguments: [
            (DomainError() as any Error & Sendable, TTRPCError(.unknown, "disk on fire")),
            (ConvertibleError(), TTRPCError(.failedPrecondition, "container is running: conflict")),
            (CancellationError(), TTRPCError(.cancelled, "context canceled")),
        ] as [(any Error & Sendable, TTRPCError)])
    func errorMapping(thrown: any Error & Sendable, expected: TTRPCError) async throws {
        try await withServer(TestServices.registry(error: { thrown })) { _, path, group in
            try await withClient(path, group: group) { client in
                let error = await #expect(throws: TTRPCError.self) {
                    try await client.call(service: TestServices.echo, method: "Fail", payload: Data())
                }
                #expect(error == expected)
            }
        }
    }

    @Test("the server cancels a handler at the client's deadline and answers DeadlineExceeded")
    func serverDeadline() async throws {
        try await withServer(TestServices.registry()) { _, path, group in
            try await withRawConnection(to: path, group: group) { connection in
                let start = ContinuousClock.now
                var request = makeRequest(service: TestServices.echo, method: "Sleep", timeoutNano: 100_000_000)
                request.payload = TestServices.sleepPayload(milliseconds: 60_000)
                try await connection.send(request, streamID: 1)
                let (_, response) = try await connection.response()
                #expect(TTRPCError(status: response.status) == .deadlineExceeded("context deadline exceeded"))
                #expect(ContinuousClock.now - start < .seconds(10))
            }
        }
    }

    @Test("1,000 concurrent calls over 8 connections are all answered with their own payload")
    func concurrency() async throws {
        try await withServer(TestServices.registry()) { _, path, group in
            let answered = try await withThrowingTaskGroup(of: Int.self) { connections in
                for connection in 0..<8 {
                    connections.addTask {
                        try await withClient(path, group: group) { client in
                            try await withThrowingTaskGroup(of: Bool.self) { calls in
                                for call in 0..<125 {
                                    calls.addTask {
                                        var payload = TestServices.sleepPayload(milliseconds: UInt32(call % 3))
                                        payload.append(contentsOf: [UInt8(connection), UInt8(call)])
                                        let answer = try await client.call(
                                            service: TestServices.echo, method: "Sleep", payload: payload)
                                        return answer == payload
                                    }
                                }
                                return try await calls.reduce(0) { $0 + ($1 ? 1 : 0) }
                            }
                        }
                    }
                }
                return try await connections.reduce(0, +)
            }
            #expect(answered == 1000)
        }
    }

    @Test("the socket file is created with mode 0600 and removed on close")
    func socketFile() async throws {
        try await withTemporaryDirectory { directory in
            let group = TTRPCEventLoopGroup.make()
            let path = directory + "/s.sock"
            let server = try await TTRPCServer.bind(
                unixDomainSocketPath: path, registry: TestServices.registry(), group: group)
            var info = stat()
            #expect(stat(path, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600)
            #expect(info.st_mode & S_IFMT == S_IFSOCK)
            await server.close()
            #expect(access(path, F_OK) != 0)
            try await group.shutdownGracefully()
        }
    }

    @Test("an existing socket path is not taken over unless asked")
    func existingSocket() async throws {
        try await withServer(TestServices.registry()) { _, path, group in
            await #expect(throws: (any Error).self) {
                try await TTRPCServer.bind(unixDomainSocketPath: path, registry: TTRPCServiceRegistry(), group: group)
            }
            try await withClient(path, group: group) { client in
                let payload = try await client.call(service: TestServices.echo, method: "Echo", payload: Data([1]))
                #expect(Array(payload) == [1])
            }
        }
    }

    @Test("an already listening socket passed as a descriptor is adopted")
    func adoptDescriptor() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/adopted.sock"
            let descriptor = try listeningSocket(path: path)
            let group = TTRPCEventLoopGroup.make()
            let server = try await TTRPCServer.adopt(
                listeningSocket: descriptor, registry: TestServices.registry(), group: group)
            try await withClient(path, group: group) { client in
                let payload = try await client.call(service: TestServices.echo, method: "Echo", payload: Data([3, 1]))
                #expect(Array(payload) == [3, 1])
            }
            await server.close()
            // The server owned the descriptor and closed it: the path no longer accepts connections.
            try await withClient(path, group: group) { client in
                let error = await #expect(throws: TTRPCError.self) {
                    try await client.call(service: TestServices.echo, method: "Echo", payload: Data())
                }
                #expect(error?.code == .unavailable)
            }
            try await group.shutdownGracefully()
        }
    }

    @Test("peers with other credentials are refused, matching ones served")
    func peerCredentials() async throws {
        var refusing = TTRPCServer.Configuration()
        refusing.peerCredentials = .user(uid: geteuid() &+ 4242, gid: nil)
        try await withServer(TestServices.registry(), configuration: refusing) { _, path, group in
            try await withClient(path, group: group) { client in
                let error = await #expect(throws: TTRPCError.self) {
                    try await client.call(service: TestServices.echo, method: "Echo", payload: Data())
                }
                #expect(error?.code == .unavailable)
            }
        }
        var matching = TTRPCServer.Configuration()
        matching.peerCredentials = .user(uid: geteuid(), gid: getegid())
        try await withServer(TestServices.registry(), configuration: matching) { _, path, group in
            try await withClient(path, group: group) { client in
                let payload = try await client.call(service: TestServices.echo, method: "Echo", payload: Data([5]))
                #expect(Array(payload) == [5])
            }
        }
    }

    @Test("close lets in-flight calls finish and refuses new connections")
    func gracefulClose() async throws {
        try await withTemporaryDirectory { directory in
            let group = TTRPCEventLoopGroup.make()
            let path = directory + "/g.sock"
            let server = try await TTRPCServer.bind(
                unixDomainSocketPath: path, registry: TestServices.registry(), group: group)
            let client = TTRPCClient(unixDomainSocketPath: path, group: group)
            try await client.connect()
            let slow = Task {
                try await client.call(
                    service: TestServices.echo, method: "Sleep", payload: TestServices.sleepPayload(milliseconds: 300))
            }
            // Let the call reach the server before closing.
            try await Task.sleep(for: .milliseconds(100))
            await server.close(gracePeriod: .seconds(10))
            #expect(try await slow.value == TestServices.sleepPayload(milliseconds: 300))
            #expect(await server.connectionCount == 0)
            let error = await #expect(throws: TTRPCError.self) {
                try await client.call(service: TestServices.echo, method: "Echo", payload: Data())
            }
            #expect(error?.code == .unavailable)
            await client.close()
            try await group.shutdownGracefully()
        }
    }
}

/// A unix socket bound to `path` and listening, as containerd's shim start hands it over.
func listeningSocket(path: String) throws -> CInt {
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw TestFailure("socket: errno \(errno)") }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw TestFailure("path too long") }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    guard bound == 0, listen(descriptor, 16) == 0 else {
        let code = errno
        close(descriptor)
        throw TestFailure("bind/listen \(path): errno \(code)")
    }
    return descriptor
}

/// A small deterministic generator (SplitMix64) so random tests replay identically.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
