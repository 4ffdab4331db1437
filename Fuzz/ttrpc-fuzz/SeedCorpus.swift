import FuzzSupport
import NIOCore
import ShimAPI
import SwiftProtobuf
import TTRPC

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The committed seed corpus (Fuzz/corpus/ttrpc): small connections a containerd or a confused peer could produce.
enum SeedCorpus {
    static func write(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, bytes) in try seeds() {
            let path = directory + "/" + name
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
                throw FuzzReplayError(description: "cannot write \(path)")
            }
            print("wrote \(path) (\(bytes.count) bytes)")
        }
    }

    static func seeds() throws -> [(String, [UInt8])] {
        var state = Containerd_Task_V2_StateRequest()
        state.id = "c1"
        var create = Containerd_Task_V2_CreateTaskRequest()
        create.id = "c1"
        create.bundle = "/run/c1"
        var mount = Containerd_Types_Mount()
        mount.type = "overlay"
        mount.options = ["lowerdir=/a", "upperdir=/b"]
        create.rootfs = [mount]
        var options = Runtimeoptions_V1_Options()
        options.configPath = "/etc/containerd/runsc.toml"
        create.options = try TypeURL.pack(options)
        var exit = Containerd_Events_TaskExit()
        exit.containerID = "c1"
        exit.exitStatus = 137
        var forward = Containerd_Services_Events_Ttrpc_V1_ForwardRequest()
        forward.envelope = try EventsForwarder.envelope(
            for: exit, namespace: "k8s.io", timestamp: Date(timeIntervalSince1970: 1_700_000_000))
        var update = Containerd_Task_V2_UpdateTaskRequest()
        update.id = "c1"
        update.annotations = ["a": "b"]
        var failure = Ttrpc_Response()
        failure.status = TTRPCError.notFound("container not created").status

        let task = TaskMethods.service
        return [
            ("state", [3] + frame(1, request(task, "State", state, timeout: 1_000_000_000))),
            ("create", [0] + frame(1, request(task, "Create", create))),
            ("forward", [7] + frame(1, request(EventsForwarder.service, "Forward", forward))),
            (
                "unknown-method",
                [1] + frame(1, request("no.Such", "State", state)) + frame(3, request(task, "Nope", state))
            ),
            (
                "stream-ids",
                [2] + frame(2, request(task, "State", state)) + frame(5, request(task, "State", state))
                    + frame(3, request(task, "State", state))
            ),
            ("oversized", [5] + header(length: 4 << 20 + 1, streamID: 1, type: 1) + [1, 2, 3, 4]),
            (
                "data-response",
                [4] + frame(1, Array("chunk".utf8), type: .data)
                    + frame(1, try failure.serializedBytes(), type: .response)
                    + frame(3, request(task, "Pids", Containerd_Task_V2_PidsRequest()))
            ),
            (
                "update-stats",
                [6] + frame(1, request(task, "Update", update)) + frame(3, request(task, "Stats", state))
            ),
            ("malformed", [9] + header(length: 0xFF00_0000, streamID: 1, type: 1)),
        ]
    }

    private static func request(
        _ service: String, _ method: String, _ message: some Message, timeout: Int64 = 0
    ) -> [UInt8] {
        var request = Ttrpc_Request()
        request.service = service
        request.method = method
        request.payload = (try? message.serializedBytes()) ?? Data()
        request.timeoutNano = timeout
        request.metadata = ContainerdMetadata.namespace("k8s.io").wire
        return (try? request.serializedBytes()) ?? []
    }

    private static func frame(_ streamID: UInt32, _ payload: [UInt8], type: FrameType = .request) -> [UInt8] {
        header(length: UInt32(payload.count), streamID: streamID, type: type.rawValue) + payload
    }

    private static func header(length: UInt32, streamID: UInt32, type: UInt8) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeFrameHeader(FrameHeader(length: length, streamID: streamID, type: FrameType(rawValue: type)))
        return Array(buffer.readableBytesView)
    }
}
