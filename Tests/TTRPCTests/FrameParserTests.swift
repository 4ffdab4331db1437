import NIOCore
import PropertyBased
import Testing

@testable import TTRPC

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Feeds `bytes` to a parser in the given chunk sizes (cycled) and returns every element, or the error it threw.
private func parse(_ bytes: [UInt8], chunks: [Int] = [Int.max], finish: Bool = true) -> (
    elements: [FrameParser.Element], error: FrameError?
) {
    var parser = FrameParser()
    var buffer = ByteBuffer()
    var elements: [FrameParser.Element] = []
    var offset = 0
    var chunkIndex = 0
    do {
        while offset < bytes.count {
            let size = max(1, min(chunks[chunkIndex % chunks.count], bytes.count - offset))
            chunkIndex += 1
            buffer.writeBytes(bytes[offset..<offset + size])
            offset += size
            while let element = try parser.next(from: &buffer) {
                elements.append(element)
            }
        }
        if finish {
            try parser.finish(leftover: buffer)
        }
        return (elements, nil)
    } catch {
        return (elements, error)
    }
}

private func encode(_ frames: [Frame]) throws -> [UInt8] {
    var buffer = ByteBuffer()
    for frame in frames {
        try frame.encode(into: &buffer)
    }
    return Array(buffer.readableBytesView)
}

private let sampleFrames: [Frame] = [
    Frame(streamID: 1, type: .request, payload: ByteBuffer(bytes: [0x0A, 0x03, 0x61, 0x62, 0x63])),
    Frame(streamID: 2, type: .response, payload: ByteBuffer()),
    Frame(streamID: 3, type: .data, flags: 0x05, payload: ByteBuffer(repeating: 0xEE, count: 300)),
    Frame(streamID: .max, type: FrameType(rawValue: 0x7F), flags: 0xFF, payload: ByteBuffer(bytes: [0])),
]

@Suite("Frame codec")
struct FrameParserTests {
    @Test("header layout is 10 bytes big-endian: length, stream id, type, flags")
    func headerLayout() throws {
        let frame = Frame(streamID: 0x0102_0304, type: .response, flags: 0x09, payload: ByteBuffer(bytes: [7, 8, 9]))
        #expect(try encode([frame]) == [0, 0, 0, 3, 1, 2, 3, 4, 2, 9, 7, 8, 9])
    }

    @Test("a Request frame has ttrpc's protobuf field layout, byte for byte")
    func goldenRequestFrame() throws {
        var request = Ttrpc_Request()
        request.service = "containerd.task.v2.Task"
        request.method = "State"
        request.payload = Data([0x0A, 0x02, 0x69, 0x64])  // StateRequest{id: "id"}
        request.timeoutNano = 1
        var kv = Ttrpc_KeyValue()
        kv.key = "k"
        kv.value = "v"
        request.metadata = [kv]
        let payload: [UInt8] = try request.serializedBytes()
        // Field 1 and 2 strings, 3 bytes, 4 varint, 5 embedded KeyValue{1: "k", 2: "v"}: protobuf rules, in field order.
        let expected: [UInt8] =
            [0x0A, 23] + Array("containerd.task.v2.Task".utf8) + [0x12, 5] + Array("State".utf8)
            + [0x1A, 4, 0x0A, 0x02, 0x69, 0x64] + [0x20, 0x01] + [0x2A, 6, 0x0A, 1, 0x6B, 0x12, 1, 0x76]
        #expect(payload == expected)
        let frame = try encode([Frame(streamID: 1, type: .request, payload: ByteBuffer(bytes: payload))])
        #expect(frame == [0, 0, 0, UInt8(expected.count), 0, 0, 0, 1, 1, 0] + expected)
    }

    @Test("frames round trip", arguments: sampleFrames)
    func roundTrip(frame: Frame) throws {
        let result = parse(try encode([frame]))
        #expect(result.error == nil)
        #expect(result.elements == [.frame(frame)])
    }

    @Test("a stream split at every byte boundary parses to the same frames")
    func everySplit() throws {
        let bytes = try encode(sampleFrames)
        let expected = sampleFrames.map(FrameParser.Element.frame)
        for split in 0...bytes.count {
            let result = parse(bytes, chunks: [split, bytes.count])
            #expect(result.error == nil, "split at \(split)")
            #expect(result.elements == expected, "split at \(split)")
        }
        let byteByByte = parse(bytes, chunks: [1])
        #expect(byteByByte.elements == expected)
        #expect(byteByByte.error == nil)
    }

    @Test("an oversized frame is reported at its header and its body skipped as it arrives")
    func oversized() throws {
        let length = FrameHeader.maximumPayloadLength + 1
        var parser = FrameParser()
        var buffer = ByteBuffer()
        buffer.writeFrameHeader(FrameHeader(length: UInt32(length), streamID: 5, type: .request))
        #expect(
            try parser.next(from: &buffer)
                == .oversized(FrameHeader(length: UInt32(length), streamID: 5, type: .request)))
        // Feed the body in 64 KiB pieces: nothing is produced and nothing is kept.
        var fed = 0
        while fed < length {
            let piece = min(65_536, length - fed)
            buffer.writeRepeatingByte(0xAB, count: piece)
            fed += piece
            #expect(try parser.next(from: &buffer) == nil)
            #expect(buffer.readableBytes == 0)
        }
        #expect(parser.isAtFrameBoundary)
        let next = Frame(streamID: 7, type: .request, payload: ByteBuffer(bytes: [1, 2]))
        try next.encode(into: &buffer)
        #expect(try parser.next(from: &buffer) == .frame(next))
    }

    @Test("a payload of exactly the maximum size is a frame")
    func maximumPayload() throws {
        let frame = Frame(
            streamID: 9, type: .request, payload: ByteBuffer(repeating: 1, count: FrameHeader.maximumPayloadLength))
        #expect(parse(try encode([frame])).elements == [.frame(frame)])
    }

    @Test("encoding refuses payloads over the maximum")
    func encodeOversized() {
        let frame = Frame(
            streamID: 9, type: .request, payload: ByteBuffer(repeating: 1, count: FrameHeader.maximumPayloadLength + 1))
        var buffer = ByteBuffer()
        #expect(throws: FrameError.payloadTooLarge(streamID: 9, length: frame.payload.readableBytes, maximum: 4 << 20))
        {
            try frame.encode(into: &buffer)
        }
    }

    @Test("a header with the reserved length byte set is rejected", arguments: [0x01, 0x80, 0xFF] as [UInt8])
    func malformedHeader(reserved: UInt8) {
        let bytes: [UInt8] = [reserved, 0, 0, 0, 0, 0, 0, 1, 1, 0]
        let result = parse(bytes)
        #expect(result.elements.isEmpty)
        #expect(
            result.error
                == .malformedHeader(
                    FrameHeader(length: UInt32(reserved) << 24, streamID: 1, type: .request)))
    }

    @Test(
        "input that stops inside a frame is truncated",
        arguments: [
            ([0, 0, 0], 7),  // inside the header
            ([0, 0, 0, 4, 0, 0, 0, 1, 1, 0, 9], 3),  // inside the payload
            ([0, 0x40, 0, 1, 0, 0, 0, 1, 1, 0, 9, 9], 0x40_0001 - 2),  // inside a skipped oversized body
        ] as [([UInt8], Int)])
    func truncated(bytes: [UInt8], missing: Int) {
        let result = parse(bytes)
        #expect(result.error == .truncated(bytesMissing: missing))
    }

    @Test("random bytes in random chunks never crash, and chunking does not change the outcome")
    func randomInput() async {
        await propertyCheck(
            count: 500, input: Gen.uint8().array(of: 0...600), Gen.int(in: 1...37).array(of: 1...8)
        ) { bytes, chunks in
            let whole = parse(bytes)
            let pieces = parse(bytes, chunks: chunks)
            #expect(whole.elements == pieces.elements)
            #expect(whole.error == pieces.error)
        }
    }

    @Test("random valid frames survive random chunking")
    func randomFrames() async throws {
        let frameGen = Gen.uint8().array(of: 0...80).map { payload in payload }
        await propertyCheck(
            count: 300, input: frameGen.array(of: 0...6), Gen.uint32(), Gen.int(in: 1...23).array(of: 1...5)
        ) { payloads, firstStream, chunks in
            let frames = payloads.enumerated().map { index, payload in
                Frame(
                    streamID: firstStream &+ UInt32(index), type: FrameType(rawValue: UInt8(index % 4)),
                    flags: UInt8(payload.count % 256), payload: ByteBuffer(bytes: payload))
            }
            guard let bytes = try? encode(frames) else {
                Issue.record("encoding failed")
                return
            }
            let result = parse(bytes, chunks: chunks)
            #expect(result.error == nil)
            #expect(result.elements == frames.map(FrameParser.Element.frame))
        }
    }
}
