import SwiftProtobuf

/// A task event a shim publishes, with the topic containerd files it under (core/runtime/events.go).
public protocol ContainerdEvent: Message {
    static var topic: String { get }
}

extension Containerd_Events_TaskCreate: ContainerdEvent { public static let topic = "/tasks/create" }
extension Containerd_Events_TaskStart: ContainerdEvent { public static let topic = "/tasks/start" }
extension Containerd_Events_TaskOOM: ContainerdEvent { public static let topic = "/tasks/oom" }
extension Containerd_Events_TaskExit: ContainerdEvent { public static let topic = "/tasks/exit" }
extension Containerd_Events_TaskDelete: ContainerdEvent { public static let topic = "/tasks/delete" }
extension Containerd_Events_TaskExecAdded: ContainerdEvent { public static let topic = "/tasks/exec-added" }
extension Containerd_Events_TaskExecStarted: ContainerdEvent { public static let topic = "/tasks/exec-started" }
extension Containerd_Events_TaskPaused: ContainerdEvent { public static let topic = "/tasks/paused" }
extension Containerd_Events_TaskResumed: ContainerdEvent { public static let topic = "/tasks/resumed" }
extension Containerd_Events_TaskCheckpointed: ContainerdEvent { public static let topic = "/tasks/checkpointed" }

/// Every task event type, for tables and tests.
public enum ContainerdEvents {
    public static let all: [any ContainerdEvent.Type] = [
        Containerd_Events_TaskCreate.self, Containerd_Events_TaskStart.self, Containerd_Events_TaskOOM.self,
        Containerd_Events_TaskExit.self, Containerd_Events_TaskDelete.self, Containerd_Events_TaskExecAdded.self,
        Containerd_Events_TaskExecStarted.self, Containerd_Events_TaskPaused.self, Containerd_Events_TaskResumed.self,
        Containerd_Events_TaskCheckpointed.self,
    ]

    /// Topic by bare type URL.
    public static let topics: [String: String] = Dictionary(
        uniqueKeysWithValues: all.map { ($0.protoMessageName, $0.topic) })
}
