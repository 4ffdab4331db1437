import Foundation
import ShimAPI
import SwiftProtobuf
import Testing

private func packDefault<Event: ContainerdEvent>(_ type: Event.Type) throws -> Google_Protobuf_Any {
    try TypeURL.pack(Event())
}

private func expectBare(_ url: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!url.contains("/"), "type URL \(url) has a prefix", sourceLocation: sourceLocation)
    #expect(!url.hasPrefix("type.googleapis.com"), sourceLocation: sourceLocation)
    #expect(!url.isEmpty, sourceLocation: sourceLocation)
}

@Suite("Type URLs and topics")
struct TypeURLTests {
    @Test(
        "every event packs under its bare proto name",
        arguments: ContainerdEvents.all.map { $0 as any Message.Type }.indices)
    func bareEventURLs(index: Int) throws {
        let type = ContainerdEvents.all[index]
        let any = try packDefault(type)
        expectBare(any.typeURL)
        #expect(
            any.typeURL == "containerd.events."
                + String(describing: type).replacingOccurrences(of: "Containerd_Events_", with: ""))
    }

    @Test("other messages the shim packs are bare too")
    func otherURLs() throws {
        #expect(try TypeURL.pack(Io_Containerd_Cgroups_V1_Metrics()).typeURL == "io.containerd.cgroups.v1.Metrics")
        #expect(try TypeURL.pack(Containerd_Runc_V1_ProcessDetails()).typeURL == "containerd.runc.v1.ProcessDetails")
        #expect(try TypeURL.pack(Runtimeoptions_V1_Options()).typeURL == "runtimeoptions.v1.Options")
        var exit = Containerd_Events_TaskExit()
        exit.containerID = "c"
        let envelope = try EventsForwarder.envelope(for: exit, namespace: "default")
        expectBare(envelope.event.typeURL)
        #expect(envelope.topic == "/tasks/exit" && envelope.namespace == "default" && envelope.hasTimestamp)
    }

    @Test(
        "topics follow containerd's runtime table",
        arguments: [
            ("containerd.events.TaskCreate", "/tasks/create"), ("containerd.events.TaskStart", "/tasks/start"),
            ("containerd.events.TaskOOM", "/tasks/oom"), ("containerd.events.TaskExit", "/tasks/exit"),
            ("containerd.events.TaskDelete", "/tasks/delete"), ("containerd.events.TaskExecAdded", "/tasks/exec-added"),
            ("containerd.events.TaskExecStarted", "/tasks/exec-started"),
            ("containerd.events.TaskPaused", "/tasks/paused"), ("containerd.events.TaskResumed", "/tasks/resumed"),
            ("containerd.events.TaskCheckpointed", "/tasks/checkpointed"),
        ])
    func topics(typeURL: String, topic: String) {
        #expect(ContainerdEvents.topics[typeURL] == topic)
    }

    @Test("the topic table covers every event exactly once")
    func topicTable() {
        #expect(ContainerdEvents.topics.count == ContainerdEvents.all.count)
        #expect(Set(ContainerdEvents.topics.values).count == ContainerdEvents.all.count)
    }

    @Test("unpacking accepts bare and prefixed URLs of the right type only")
    func unpack() throws {
        var exit = Containerd_Events_TaskExit()
        exit.containerID = "c9"
        exit.exitStatus = 137
        var any = try TypeURL.pack(exit)
        #expect(try TypeURL.unpack(any, as: Containerd_Events_TaskExit.self) == exit)
        any.typeURL = "type.googleapis.com/containerd.events.TaskExit"
        #expect(try TypeURL.unpack(any, as: Containerd_Events_TaskExit.self) == exit)
        any.typeURL = "containerd.events.TaskOOM"
        #expect(throws: TypeURLError(expected: "containerd.events.TaskExit", found: "containerd.events.TaskOOM")) {
            try TypeURL.unpack(any, as: Containerd_Events_TaskExit.self)
        }
    }
}
