import NIOCore
import NIOPosix
import Testing

@testable import TTRPC

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Issue 17: Go's ttrpc server bounds none of these; before the limits, 64 connections each holding a 4 MiB partial
/// frame grew a shim by 267 MB.
@Suite("TTRPC server limits")
struct ServerLimitTests {
    /// A configuration with `limits` that records every connection error's text.
    private static func configuration(
        _ limits: TTRPCServerLimits, errors: Recorder<String>
    ) -> TTRPCServer.Configuration {
        var configuration = TTRPCServer.Configuration()
        configuration.limits = limits
        configuration.connectionErrorHandler = { error in Task { await errors.record(String(describing: error)) } }
        return configuration
    }

    /// Waits up to 5 s for an error containing `text`.
    private static func expectError(_ errors: Recorder<String>, containing text: String) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while await !errors.values.contains(where: { $0.contains(text) }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let seen = await errors.values
        #expect(seen.contains { $0.contains(text) }, "errors seen: \(seen)")
    }

    /// The header of a Request frame announcing `length` payload bytes.
    private static func header(length: Int, streamID: UInt32 = 1) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeFrameHeader(FrameHeader(length: UInt32(length), streamID: streamID, type: .request))
        return Array(buffer.readableBytesView)
    }

    /// An Echo call on `connection` that must be answered with `byte`.
    private static func echo(_ connection: RawConnection, streamID: UInt32, byte: UInt8) async throws {
        try await connection.send(
            makeRequest(service: TestServices.echo, method: "Echo", payload: [byte]), streamID: streamID)
        let (answeredID, response) = try await connection.response()
        #expect(answeredID == streamID && response.status.code == 0 && Array(response.payload) == [byte])
    }

    @Test("the defaults leave room for containerd and bound a flood: 32 connections, 256 calls, 16 MiB, 10 s")
    func defaults() {
        let limits = TTRPCServerLimits()
        #expect(limits.maximumConnections == 32)
        #expect(limits.maximumInFlightCallsPerConnection == 256)
        #expect(limits.maximumPartialFrameBytes == 4 * (FrameHeader.maximumPayloadLength + FrameHeader.byteCount))
        #expect(limits.partialFrameTimeout == .seconds(10))
    }

    @Test("a connection beyond maximumConnections is closed and logged; once one closes, a new one is served")
    func connectionLimit() async throws {
        let errors = Recorder<String>()
        let configuration = Self.configuration(TTRPCServerLimits(maximumConnections: 2), errors: errors)
        try await withServer(TestServices.registry(), configuration: configuration) { _, path, group in
            try await withRawConnection(to: path, group: group) { first in
                try await Self.echo(first, streamID: 1, byte: 1)
                try await withRawConnection(to: path, group: group) { second in
                    try await Self.echo(second, streamID: 1, byte: 2)
                    let refused = try await withRawConnection(to: path, group: group) { third in
                        try? await third.send(
                            makeRequest(service: TestServices.echo, method: "Echo", payload: [3]), streamID: 1)
                        return try await third.closedByServer()
                    }
                    #expect(refused)
                    try await Self.echo(first, streamID: 3, byte: 4)
                }
                // The second connection is gone; its slot frees once the server has seen it close.
                var served = false
                let deadline = ContinuousClock.now + .seconds(5)
                while !served, ContinuousClock.now < deadline {
                    served = try await withRawConnection(to: path, group: group) { again in
                        try? await again.send(
                            makeRequest(service: TestServices.echo, method: "Echo", payload: [5]), streamID: 1)
                        guard let element = try? await again.next(), case .frame = element else { return false }
                        return true
                    }
                    if !served { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(served)
            }
        }
        try await Self.expectError(errors, containing: "2 connections are open, the limit")
    }

    @Test("a request beyond maximumInFlightCallsPerConnection closes its connection; others are unaffected")
    func inFlightLimit() async throws {
        let errors = Recorder<String>()
        let configuration = Self.configuration(
            TTRPCServerLimits(maximumInFlightCallsPerConnection: 2), errors: errors)
        try await withServer(TestServices.registry(), configuration: configuration) { _, path, group in
            try await withRawConnection(to: path, group: group) { other in
                let closed = try await withRawConnection(to: path, group: group) { connection in
                    let sleep = makeRequest(
                        service: TestServices.echo, method: "Sleep",
                        payload: Array(TestServices.sleepPayload(milliseconds: 10_000)))
                    for streamID in [1, 3, 5] as [UInt32] {
                        try await connection.send(sleep, streamID: streamID)
                    }
                    return try await connection.closedByServer()
                }
                #expect(closed)
                // Two calls in flight are within the bound.
                let quick = makeRequest(
                    service: TestServices.echo, method: "Sleep",
                    payload: Array(TestServices.sleepPayload(milliseconds: 50)))
                try await other.send(quick, streamID: 1)
                try await other.send(quick, streamID: 3)
                let answered = Set([try await other.response().streamID, try await other.response().streamID])
                #expect(answered == [1, 3])
            }
        }
        try await Self.expectError(errors, containing: "more than 2 calls in flight")
    }

    @Test("partial frames share one byte budget: a header that does not fit closes its connection, a full one fits")
    func partialFrameBudget() async throws {
        let errors = Recorder<String>()
        let frame = 600_000
        let configuration = Self.configuration(
            TTRPCServerLimits(maximumPartialFrameBytes: 1_000_000), errors: errors)
        try await withServer(TestServices.registry(), configuration: configuration) { _, path, group in
            try await withRawConnection(to: path, group: group) { holder in
                // A frame whose header has arrived holds its announced size until it is complete.
                var request = ByteBuffer()
                try Frame(
                    streamID: 1, type: .request,
                    payload: ByteBuffer(
                        bytes: try makeRequest(
                            service: TestServices.echo, method: "Echo", payload: Array(repeating: 7, count: frame)
                        ).serializedBytes() as [UInt8])
                ).encode(into: &request)
                let bytes = Array(request.readableBytesView)
                try await holder.send(Array(bytes[0..<1000]))
                let refused = try await withRawConnection(to: path, group: group) { second in
                    try await second.send(Self.header(length: frame) + [1, 2, 3])
                    return try await second.closedByServer()
                }
                #expect(refused)
                // Small frames of other connections still fit beside it.
                try await withRawConnection(to: path, group: group) { small in
                    try await Self.echo(small, streamID: 1, byte: 9)
                }
                try await holder.send(Array(bytes[1000...]))
                let (streamID, response) = try await holder.response()
                #expect(streamID == 1 && response.status.code == 0 && response.payload.count == frame)
                // Completed, the frame released its bytes: the same size fits on another connection now.
                try await withRawConnection(to: path, group: group) { after in
                    try await after.send(bytes)
                    let (_, again) = try await after.response()
                    #expect(again.status.code == 0 && again.payload.count == frame)
                }
            }
        }
        try await Self.expectError(errors, containing: "does not fit in the partial-frame budget")
    }

    @Test("a frame still incomplete after partialFrameTimeout closes its connection; a whole one in pieces is served")
    func partialFrameTimeout() async throws {
        let errors = Recorder<String>()
        let configuration = Self.configuration(
            TTRPCServerLimits(partialFrameTimeout: .milliseconds(300)), errors: errors)
        try await withServer(TestServices.registry(), configuration: configuration) { _, path, group in
            let started = ContinuousClock.now
            let closed = try await withRawConnection(to: path, group: group, timeout: .seconds(10)) { connection in
                try await connection.send(Self.header(length: 100) + [1, 2, 3])
                return try await connection.closedByServer()
            }
            #expect(closed)
            let waited = ContinuousClock.now - started
            #expect(waited >= .milliseconds(250) && waited < .seconds(5), "closed after \(waited)")
            // An oversized frame being skipped runs against the same clock.
            let skipStarted = ContinuousClock.now
            let skipped = try await withRawConnection(to: path, group: group, timeout: .seconds(10)) { connection in
                try await connection.send(Self.header(length: FrameHeader.maximumPayloadLength + 100))
                _ = try await connection.response()
                return try await connection.closedByServer()
            }
            #expect(skipped)
            #expect(
                ContinuousClock.now - skipStarted < .seconds(5),
                "skipping closed after \(ContinuousClock.now - skipStarted)")
            try await withRawConnection(to: path, group: group) { connection in
                var request = ByteBuffer()
                try Frame(
                    streamID: 1, type: .request,
                    payload: ByteBuffer(
                        bytes: try makeRequest(service: TestServices.echo, method: "Echo", payload: [6])
                            .serializedBytes() as [UInt8])
                ).encode(into: &request)
                let bytes = Array(request.readableBytesView)
                try await connection.send(Array(bytes[0..<5]))
                try await Task.sleep(for: .milliseconds(100))
                try await connection.send(Array(bytes[5...]))
                let (_, response) = try await connection.response()
                #expect(response.status.code == 0 && Array(response.payload) == [6])
                // Idle between frames is not a partial frame: the connection lives past the timeout.
                try await Task.sleep(for: .milliseconds(500))
                try await Self.echo(connection, streamID: 3, byte: 8)
            }
        }
        try await Self.expectError(errors, containing: "still incomplete")
    }
}
