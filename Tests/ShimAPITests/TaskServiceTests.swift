import Foundation
import ShimAPI
import SwiftProtobuf
import TTRPC
import Testing

/// Implements State and Create only; everything else keeps the protocol's Unimplemented default.
private struct PartialTaskService: TaskService {
    func state(_ request: Containerd_Task_V2_StateRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_StateResponse
    {
        guard request.id == "c1" else { throw TTRPCError.notFound("container not created") }
        var response = Containerd_Task_V2_StateResponse()
        response.id = request.id
        response.execID = request.execID
        response.bundle = "/run/bundles/" + (context.containerdNamespace ?? "?")
        response.status = .running
        response.pid = 4242
        return response
    }

    func create(_ request: Containerd_Task_V2_CreateTaskRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_CreateTaskResponse
    {
        let options = try TypeURL.unpack(request.options, as: Runtimeoptions_V1_Options.self)
        var response = Containerd_Task_V2_CreateTaskResponse()
        response.pid = UInt32(request.rootfs.count * 1000 + options.configPath.count)
        return response
    }
}

private func partialRegistry() -> TTRPCServiceRegistry {
    var registry = TTRPCServiceRegistry()
    registry.register(taskService: PartialTaskService())
    return registry
}

@Suite("Task service")
struct TaskServiceTests {
    @Test("all 17 Task RPCs are registered under containerd.task.v2.Task")
    func registration() {
        #expect(TaskMethods.service == "containerd.task.v2.Task")
        #expect(TaskMethods.names.count == 17)
        #expect(partialRegistry().methods == [TaskMethods.service: TaskMethods.names.sorted()])
    }

    @Test(
        "unimplemented RPCs answer Unimplemented over a real socket",
        arguments: TaskMethods.names.filter { $0 != "State" && $0 != "Create" })
    func unimplemented(method: String) async throws {
        try await withServerAndClient(partialRegistry()) { client in
            let error = await #expect(throws: TTRPCError.self) {
                try await client.call(service: TaskMethods.service, method: method, payload: Data())
            }
            #expect(error == TTRPCError(.unimplemented, "method \(method) not implemented"))
        }
    }

    @Test("implemented RPCs answer with their messages, seeing containerd's namespace")
    func implemented() async throws {
        try await withServerAndClient(partialRegistry()) { client in
            var state = Containerd_Task_V2_StateRequest()
            state.id = "c1"
            state.execID = "e1"
            let answer = try await client.call(
                TaskMethods.state, state, metadata: ContainerdMetadata.namespace("k8s.io"), timeout: .seconds(5))
            #expect(answer.id == "c1" && answer.execID == "e1")
            #expect(answer.bundle == "/run/bundles/k8s.io")
            #expect(answer.status == .running && answer.pid == 4242)

            state.id = "missing"
            let error = await #expect(throws: TTRPCError.self) { try await client.call(TaskMethods.state, state) }
            #expect(error == .notFound("container not created"))

            var create = Containerd_Task_V2_CreateTaskRequest()
            create.id = "c1"
            create.rootfs = [Containerd_Types_Mount(), Containerd_Types_Mount()]
            var options = Runtimeoptions_V1_Options()
            options.configPath = "/etc/containerd/runsc.toml"
            create.options = try TypeURL.pack(options)
            #expect(try await client.call(TaskMethods.create, create).pid == 2026)
        }
    }
}
