import FoundationEssentials
import OCI
import Runsc
import ShimAPI
import SwiftProtobuf
import TTRPC

/// Stats, Update and Checkpoint: the RPCs that read or change a running container's resources.
extension ShimService {
    public func stats(_ request: Containerd_Task_V2_StatsRequest, context: TTRPCRequestContext) async throws
        -> Containerd_Task_V2_StatsResponse
    {
        let container = try await table.get(request.id)
        let runsc = container.runsc
        let stats: RunscStats
        do {
            stats = try await container.statsCache.stats { try await runsc.stats(id: request.id) }
        } catch {
            throw Container.rpcError(error)
        }
        let any = try StatsConversion.metrics(stats, unifiedHierarchy: StatsConversion.hostHasUnifiedHierarchy)
        return .with { $0.stats = any }
    }

    /// `runsc update --resources=-` with the request's `LinuxResources` JSON; a runsc without `update`
    /// (before 2023) is reported as Unimplemented rather than as a failure of the container.
    public func update(_ request: Containerd_Task_V2_UpdateTaskRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    {
        let container = try await table.get(request.id)
        guard request.hasResources, !request.resources.value.isEmpty else {
            throw TTRPCError.invalidArgument("resources: expected an OCI LinuxResources, got none")
        }
        let resources = Array(request.resources.value)
        guard (try? JSONValue.decode(resources, file: "resources"))?.objectValue != nil else {
            throw TTRPCError.invalidArgument("resources: expected an OCI LinuxResources as a JSON object")
        }
        do {
            try await container.runsc.update(id: request.id, resources: resources)
        } catch let error as RunscError where error.isUnknownSubcommand {
            throw TTRPCError.unimplemented(
                "Update: \(container.runsc.runsc.binary) has no 'update' subcommand; this runsc cannot change "
                    + "the resources of a running container")
        } catch {
            throw Container.rpcError(error)
        }
        return Google_Protobuf_Empty()
    }

    /// `runsc checkpoint --image-path=<image>`, for checkpoints that stop the container (`--exit`).
    ///
    /// A checkpoint that should leave the container running is refused as Unimplemented: runsc's
    /// `--leave-running` destroys the sandbox and restores a new one from the image, and the runsc
    /// packaged here (20221219) panics half-way ("invalid state transition: paused => stopped"),
    /// leaving the container dead. Refusing keeps the workload alive.
    public func checkpoint(_ request: Containerd_Task_V2_CheckpointTaskRequest, context: TTRPCRequestContext)
        async throws -> Google_Protobuf_Empty
    {
        let container = try await table.get(request.id)
        var options = Containerd_Runc_V1_CheckpointOptions()
        if request.hasOptions, !request.options.typeURL.isEmpty {
            do { options = try TypeURL.unpack(request.options, as: Containerd_Runc_V1_CheckpointOptions.self) } catch {
                throw TTRPCError.invalidArgument("options: \(error)")
            }
        }
        let imagePath = options.imagePath.isEmpty ? request.path : options.imagePath
        guard imagePath.hasPrefix("/") else {
            throw TTRPCError.invalidArgument("path: expected an absolute directory for the image, got \"\(imagePath)\"")
        }
        guard options.exit else {
            throw TTRPCError.unimplemented(
                "Checkpoint: only checkpoints that stop the container (CheckpointOptions.exit) are supported; runsc's "
                    + "--leave-running destroys and restores the sandbox, which this runsc cannot do safely")
        }
        do {
            try await container.runsc.checkpoint(
                id: request.id, options: CheckpointOptions(imagePath: imagePath, leaveRunning: false))
        } catch {
            throw Container.rpcError(error)
        }
        return Google_Protobuf_Empty()
    }
}
