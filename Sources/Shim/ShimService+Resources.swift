import FoundationEssentials
import GVisorConfig
import Glibc
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
            // runsc 20221219's `events --stats` panics (division by zero) before the container started: the
            // sandbox's host cgroup answers instead (SandboxCgroup.swift).
            let process = await container.initState
            guard process.status == .created,
                let cgroup = SandboxCgroup(
                    pid: pid_t(bitPattern: process.pid), unifiedHost: StatsConversion.hostHasUnifiedHierarchy)
            else { throw error }
            stats = cgroup.stats(id: request.id)
        }
        let any = try StatsConversion.metrics(stats, unifiedHierarchy: StatsConversion.hostHasUnifiedHierarchy)
        return .with { $0.stats = any }
    }

    /// `runsc update --resources=-` with the request's `LinuxResources` JSON, as gVisor's shim does (2026); a runsc
    /// without `update` gets the limits it can take written directly (`updateWithoutRunscUpdate`).
    public func update(_ request: Containerd_Task_V2_UpdateTaskRequest, context: TTRPCRequestContext) async throws
        -> Google_Protobuf_Empty
    {
        let container = try await table.get(request.id)
        guard request.hasResources, !request.resources.value.isEmpty else {
            throw ShimError.invalidArgument("resources: expected an OCI LinuxResources, got none")
        }
        let resources = Array(request.resources.value)
        guard let decoded = try? JSONValue.decode(resources, file: "resources"), decoded.objectValue != nil else {
            throw ShimError.invalidArgument("resources: expected an OCI LinuxResources as a JSON object")
        }
        do {
            try await container.runsc.update(id: request.id, resources: resources)
        } catch let error as RunscError where error.isUnknownSubcommand {
            try await updateWithoutRunscUpdate(container, limits: ResourceLimits(resources: decoded))
        }
        return Google_Protobuf_Empty()
    }

    /// Update for a runsc without `update` (20221219, 20240729): memory and CPU limits go to the sandbox's host
    /// cgroup (a root container's only: an app container of a pod has no host cgroup of its own, its processes
    /// run in the sandbox's, as with runsc 2026's `update`) and to runsc's view, the sandbox's cgroupfs, with
    /// `write-control`. A sandbox without cgroupfs (runsc 20221219 unless `runsc_config` sets `cgroupfs`) has no
    /// view to change. Unimplemented, naming runsc's version, when neither place can take the limits.
    func updateWithoutRunscUpdate(_ container: Container, limits: ResourceLimits) async throws {
        let id = container.id.rawValue
        let runsc = container.runsc
        func unimplemented(_ reason: String) async -> ShimError {
            let version = (try? await runsc.version()) ?? "runsc (\(runsc.runsc.binary))"
            return ShimError.unimplemented("Update of \(id): \(version) has no 'update' subcommand, and \(reason)")
        }
        guard !limits.isEmpty else {
            throw await unimplemented(
                "without it only a memory limit and CPU shares, quota and period can be changed; none is set")
        }
        var applied: [String] = []
        if !container.isSubcontainer {
            let pid = await container.initState.pid
            guard
                let cgroup = SandboxCgroup(
                    pid: pid_t(bitPattern: pid), unifiedHost: StatsConversion.hostHasUnifiedHierarchy)
            else { throw ShimError.failedPrecondition("Update of \(id): the sandbox process \(pid) is gone") }
            try ShimError.wrapping(.internalError, "Update of \(id)") { try cgroup.apply(limits) }
            applied.append("host cgroup")
        }
        var viewError = ""
        do {
            for control in limits.v1Controls {
                try await runsc.writeControl(
                    id: id, controller: control.controller, file: control.file, value: control.value)
            }
            applied.append("runsc cgroupfs")
        } catch {
            // runsc 20221219 answers "controller not active" (exit 128, nothing logged) without cgroupfs.
            viewError = "\(error)"
            log.warning("Update: runsc's cgroupfs was not changed", [("id", id), ("error", viewError)])
        }
        guard !applied.isEmpty else {
            throw await unimplemented(
                "write-control failed (\(viewError)): the sandbox has no cgroupfs (runsc_config cgroupfs = true "
                    + "gives it one), and an app container has no host cgroup of its own")
        }
        log.info(
            "updated",
            [
                ("id", id), ("in", applied.joined(separator: ", ")),
                ("limits", limits.v1Controls.map { "\($0.file)=\($0.value)" }.joined(separator: " ")),
            ])
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
            options = try ShimError.wrapping(.invalidArgument, "options") {
                try TypeURL.unpack(request.options, as: Containerd_Runc_V1_CheckpointOptions.self)
            }
        }
        let imagePath = options.imagePath.isEmpty ? request.path : options.imagePath
        guard imagePath.hasPrefix("/") else {
            throw ShimError.invalidArgument("path: expected an absolute directory for the image, got \"\(imagePath)\"")
        }
        guard options.exit else {
            throw ShimError.unimplemented(
                "Checkpoint: only checkpoints that stop the container (CheckpointOptions.exit) are supported; runsc's "
                    + "--leave-running destroys and restores the sandbox, which this runsc cannot do safely")
        }
        try await container.runsc.checkpoint(
            id: request.id, options: CheckpointOptions(imagePath: imagePath, leaveRunning: false))
        return Google_Protobuf_Empty()
    }
}
