import SwiftProtobuf
import TTRPC

/// The shim's task API, `containerd.task.v2.Task`: the 17 unary RPCs containerd calls.
///
/// Every method has a default that answers `Unimplemented`, which containerd reads as `ErrNotImplemented`
/// (runtime-v2 requires that for unsupported RPCs), so a shim implements only what it supports.
public protocol TaskService: Sendable {
    func state(_ request: Containerd_Task_V2_StateRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_StateResponse
    func create(_ request: Containerd_Task_V2_CreateTaskRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_CreateTaskResponse
    func start(_ request: Containerd_Task_V2_StartRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_StartResponse
    func delete(_ request: Containerd_Task_V2_DeleteRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_DeleteResponse
    func pids(_ request: Containerd_Task_V2_PidsRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_PidsResponse
    func pause(_ request: Containerd_Task_V2_PauseRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    func resume(_ request: Containerd_Task_V2_ResumeRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    func checkpoint(_ request: Containerd_Task_V2_CheckpointTaskRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    func kill(_ request: Containerd_Task_V2_KillRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    func exec(_ request: Containerd_Task_V2_ExecProcessRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    func resizePty(_ request: Containerd_Task_V2_ResizePtyRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    func closeIO(_ request: Containerd_Task_V2_CloseIORequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    func update(_ request: Containerd_Task_V2_UpdateTaskRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    func wait(_ request: Containerd_Task_V2_WaitRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_WaitResponse
    func stats(_ request: Containerd_Task_V2_StatsRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_StatsResponse
    func connect(_ request: Containerd_Task_V2_ConnectRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_ConnectResponse
    func shutdown(_ request: Containerd_Task_V2_ShutdownRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
}

extension TaskService {
    public func state(_ request: Containerd_Task_V2_StateRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_StateResponse
    {
        throw TaskMethods.unimplemented("State")
    }

    public func create(_ request: Containerd_Task_V2_CreateTaskRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_CreateTaskResponse
    {
        throw TaskMethods.unimplemented("Create")
    }

    public func start(_ request: Containerd_Task_V2_StartRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_StartResponse
    {
        throw TaskMethods.unimplemented("Start")
    }

    public func delete(_ request: Containerd_Task_V2_DeleteRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_DeleteResponse
    {
        throw TaskMethods.unimplemented("Delete")
    }

    public func pids(_ request: Containerd_Task_V2_PidsRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_PidsResponse
    {
        throw TaskMethods.unimplemented("Pids")
    }

    public func pause(_ request: Containerd_Task_V2_PauseRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    {
        throw TaskMethods.unimplemented("Pause")
    }

    public func resume(_ request: Containerd_Task_V2_ResumeRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    {
        throw TaskMethods.unimplemented("Resume")
    }

    public func checkpoint(_ request: Containerd_Task_V2_CheckpointTaskRequest, context: TTRPCRequestContext)
        async throws -> Google_Protobuf_Empty
    {
        throw TaskMethods.unimplemented("Checkpoint")
    }

    public func kill(_ request: Containerd_Task_V2_KillRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    {
        throw TaskMethods.unimplemented("Kill")
    }

    public func exec(_ request: Containerd_Task_V2_ExecProcessRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    {
        throw TaskMethods.unimplemented("Exec")
    }

    public func resizePty(_ request: Containerd_Task_V2_ResizePtyRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    {
        throw TaskMethods.unimplemented("ResizePty")
    }

    public func closeIO(_ request: Containerd_Task_V2_CloseIORequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    {
        throw TaskMethods.unimplemented("CloseIO")
    }

    public func update(_ request: Containerd_Task_V2_UpdateTaskRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    {
        throw TaskMethods.unimplemented("Update")
    }

    public func wait(_ request: Containerd_Task_V2_WaitRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_WaitResponse
    {
        throw TaskMethods.unimplemented("Wait")
    }

    public func stats(_ request: Containerd_Task_V2_StatsRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_StatsResponse
    {
        throw TaskMethods.unimplemented("Stats")
    }

    public func connect(_ request: Containerd_Task_V2_ConnectRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_ConnectResponse
    {
        throw TaskMethods.unimplemented("Connect")
    }

    public func shutdown(_ request: Containerd_Task_V2_ShutdownRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    {
        throw TaskMethods.unimplemented("Shutdown")
    }
}

/// Names and message types of the Task RPCs, shared by the server registration and clients.
public enum TaskMethods {
    public static let service = "containerd.task.v2.Task"

    public static let state = TTRPCMethod<Containerd_Task_V2_StateRequest, Containerd_Task_V2_StateResponse>(
        service: service, method: "State")
    public static let create = TTRPCMethod<Containerd_Task_V2_CreateTaskRequest, Containerd_Task_V2_CreateTaskResponse>(
        service: service, method: "Create")
    public static let start = TTRPCMethod<Containerd_Task_V2_StartRequest, Containerd_Task_V2_StartResponse>(
        service: service, method: "Start")
    public static let delete = TTRPCMethod<Containerd_Task_V2_DeleteRequest, Containerd_Task_V2_DeleteResponse>(
        service: service, method: "Delete")
    public static let pids = TTRPCMethod<Containerd_Task_V2_PidsRequest, Containerd_Task_V2_PidsResponse>(
        service: service, method: "Pids")
    public static let pause = TTRPCMethod<Containerd_Task_V2_PauseRequest, Google_Protobuf_Empty>(
        service: service, method: "Pause")
    public static let resume = TTRPCMethod<Containerd_Task_V2_ResumeRequest, Google_Protobuf_Empty>(
        service: service, method: "Resume")
    public static let checkpoint = TTRPCMethod<Containerd_Task_V2_CheckpointTaskRequest, Google_Protobuf_Empty>(
        service: service, method: "Checkpoint")
    public static let kill = TTRPCMethod<Containerd_Task_V2_KillRequest, Google_Protobuf_Empty>(
        service: service, method: "Kill")
    public static let exec = TTRPCMethod<Containerd_Task_V2_ExecProcessRequest, Google_Protobuf_Empty>(
        service: service, method: "Exec")
    public static let resizePty = TTRPCMethod<Containerd_Task_V2_ResizePtyRequest, Google_Protobuf_Empty>(
        service: service, method: "ResizePty")
    public static let closeIO = TTRPCMethod<Containerd_Task_V2_CloseIORequest, Google_Protobuf_Empty>(
        service: service, method: "CloseIO")
    public static let update = TTRPCMethod<Containerd_Task_V2_UpdateTaskRequest, Google_Protobuf_Empty>(
        service: service, method: "Update")
    public static let wait = TTRPCMethod<Containerd_Task_V2_WaitRequest, Containerd_Task_V2_WaitResponse>(
        service: service, method: "Wait")
    public static let stats = TTRPCMethod<Containerd_Task_V2_StatsRequest, Containerd_Task_V2_StatsResponse>(
        service: service, method: "Stats")
    public static let connect = TTRPCMethod<Containerd_Task_V2_ConnectRequest, Containerd_Task_V2_ConnectResponse>(
        service: service, method: "Connect")
    public static let shutdown = TTRPCMethod<Containerd_Task_V2_ShutdownRequest, Google_Protobuf_Empty>(
        service: service, method: "Shutdown")

    /// Every method name, in shim.proto order.
    public static let names = [
        "State", "Create", "Start", "Delete", "Pids", "Pause", "Resume", "Checkpoint", "Kill", "Exec", "ResizePty",
        "CloseIO", "Update", "Wait", "Stats", "Connect", "Shutdown",
    ]

    /// The error of an RPC a shim does not implement, worded like ttrpc's generated stubs.
    public static func unimplemented(_ method: String) -> TTRPCError {
        .unimplemented("method \(method) not implemented")
    }
}

extension TTRPCServiceRegistry {
    /// Serves `service` as `containerd.task.v2.Task`.
    public mutating func register(taskService service: some TaskService) {
        register(TaskMethods.state) { try await service.state($0, context: $1) }
        register(TaskMethods.create) { try await service.create($0, context: $1) }
        register(TaskMethods.start) { try await service.start($0, context: $1) }
        register(TaskMethods.delete) { try await service.delete($0, context: $1) }
        register(TaskMethods.pids) { try await service.pids($0, context: $1) }
        register(TaskMethods.pause) { try await service.pause($0, context: $1) }
        register(TaskMethods.resume) { try await service.resume($0, context: $1) }
        register(TaskMethods.checkpoint) { try await service.checkpoint($0, context: $1) }
        register(TaskMethods.kill) { try await service.kill($0, context: $1) }
        register(TaskMethods.exec) { try await service.exec($0, context: $1) }
        register(TaskMethods.resizePty) { try await service.resizePty($0, context: $1) }
        register(TaskMethods.closeIO) { try await service.closeIO($0, context: $1) }
        register(TaskMethods.update) { try await service.update($0, context: $1) }
        register(TaskMethods.wait) { try await service.wait($0, context: $1) }
        register(TaskMethods.stats) { try await service.stats($0, context: $1) }
        register(TaskMethods.connect) { try await service.connect($0, context: $1) }
        register(TaskMethods.shutdown) { try await service.shutdown($0, context: $1) }
    }
}
