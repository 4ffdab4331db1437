import FoundationEssentials
import GVisorConfig
import Glibc
import HostOS
import NIOCore
import OCI
import Runsc
import ShimAPI
import SwiftProtobuf
import TTRPC

/// Exec processes: added by Exec, run by `runsc exec --detach` at Start, reaped through the long-lived
/// `runsc exec` process that runsc leaves behind (re-parented to the shim, a child subreaper), whose exit
/// status is the process's own.
extension Container {
    /// Records an exec (TaskExecAdded follows); its stdio FIFOs are opened now so a bad path fails here.
    func addExec(
        id execID: String, spec: Google_Protobuf_Any, paths: ContainerIO.Paths, eventLoop: any EventLoop
    ) throws {
        do { _ = try ContainerID(execID) } catch { throw TTRPCError.invalidArgument("exec id: \(error)") }
        guard execs[execID] == nil else { throw TTRPCError.alreadyExists("id \(execID)") }
        guard process.status == .running || process.status == .paused else {
            throw TTRPCError.failedPrecondition("cannot exec in a \(process.status) container \(id)")
        }
        let processJSON = try Self.execSpec(spec, terminal: paths.terminal)
        let io: ContainerIO
        do { io = try ContainerIO(paths: paths, eventLoop: eventLoop, owner: ioOwner) } catch {
            throw TTRPCError.internal("stdio of exec \(execID): \(error)")
        }
        execs[execID] = ExecProcess(id: execID, spec: processJSON, io: io)
    }

    /// The request's `spec` (an OCI `Process` as JSON) with `terminal` set as the request says.
    static func execSpec(_ spec: Google_Protobuf_Any, terminal: Bool) throws -> [UInt8] {
        var process: JSONValue
        do { process = try JSONValue.decode(Array(spec.value), file: "spec") } catch {
            throw TTRPCError.invalidArgument("spec: expected an OCI process as JSON (\(spec.typeURL)): \(error)")
        }
        guard process.objectValue != nil else {
            throw TTRPCError.invalidArgument("spec: expected an OCI process as a JSON object, got \(process.kindName)")
        }
        guard let args = process["args"]?.arrayValue, !args.isEmpty else {
            throw TTRPCError.invalidArgument("spec.args: expected the command to run, got none")
        }
        process["terminal"] = .bool(terminal)
        return process.encoded()
    }

    func exec(_ execID: String) throws -> ExecProcess {
        guard let exec = execs[execID] else { throw TTRPCError.notFound("process \(execID) does not exist") }
        return exec
    }

    /// Runs the exec and returns its host pid (the `runsc exec` process that lives as long as it).
    ///
    /// The actor is re-entered while runsc runs (a Wait for this exec may arrive), so the record is
    /// changed in place after each suspension, never written back from a copy.
    func startExec(_ execID: String) async throws -> pid_t {
        let exec = try self.exec(execID)
        guard exec.state.status == .created else {
            throw TTRPCError.failedPrecondition("exec \(execID) is \(exec.state.status), not created")
        }
        guard process.status == .running else {
            throw TTRPCError.failedPrecondition("cannot start exec \(execID) in a \(process.status) container")
        }
        // Marked running now so a concurrent Start of the same exec is refused.
        try? execs[execID]?.state.started()
        let files = BundleFiles.ExecFiles(bundle: bundle, execID: execID)
        let (specPath, pidFile, internalPidFile) = (files.processSpec, files.pid, files.internalPid)
        defer { for file in [specPath, pidFile, internalPidFile] { unlink(file) } }
        do {
            try HostFile.writeAtomically(exec.spec, to: specPath, mode: 0o600)
            let console = try exec.io.paths.terminal ? consoleSocket() : nil
            defer { console?.close() }
            let options = ExecOptions(
                processSpecPath: specPath, consoleSocket: console?.path, detach: true, pidFile: pidFile,
                internalPidFile: internalPidFile)
            do {
                try await runsc.exec(id: id.rawValue, options: options, stdio: exec.io.runscStdio)
            } catch {
                throw Container.rpcError(error)
            }
            exec.io.closeChildEnds()
            let hostPid: Int32
            do {
                hostPid = try RunscClient.readPidFile(pidFile)
                execs[execID]?.internalPid = try? RunscClient.readPidFile(internalPidFile)
                if let console { exec.io.attachConsole(try console.receiveMaster()) }
            } catch {
                if let pid = execs[execID]?.internalPid {
                    try? await runsc.kill(id: id.rawValue, signal: SIGKILL, options: KillOptions(pid: pid))
                }
                throw TTRPCError.internal("exec \(execID) started without a usable pid file or terminal: \(error)")
            }
            execs[execID]?.state.pid = UInt32(bitPattern: hostPid)
            log.debug(
                "exec started",
                [
                    ("id", id.rawValue), ("exec", execID), ("pid", "\(hostPid)"),
                    ("internal", "\(execs[execID]?.internalPid ?? 0)"),
                ])
            return hostPid
        } catch {
            exec.io.releaseAll()
            finishExec(execID, status: 128)
            throw error
        }
    }

    /// Marks an exec stopped and wakes its waiters.
    private func finishExec(_ execID: String, status: Int32) {
        guard execs[execID]?.state.exited(status: status, at: .now()) == true else { return }
        let waiters = execs[execID]?.waiters ?? []
        execs[execID]?.waiters = []
        for waiter in waiters { waiter.resume() }
    }

    /// Records an exec's exit, finishes its output, and returns the TaskExit to publish.
    func execExited(_ execID: String, status: Int32) async -> Containerd_Events_TaskExit? {
        guard let exec = execs[execID], exec.state.status != .stopped else { return nil }
        await exec.io.drained()
        finishExec(execID, status: status)
        guard let state = execs[execID]?.state else { return nil }
        log.debug("exec exited", [("id", id.rawValue), ("exec", execID), ("status", "\(status)")])
        return .with {
            $0.containerID = id.rawValue
            $0.id = execID
            $0.pid = state.pid
            $0.exitStatus = state.exitStatus
            $0.exitedAt = state.exitedAt ?? .now()
        }
    }

    func waitForExec(_ execID: String) async throws -> ProcessState {
        let exec = try self.exec(execID)
        if exec.state.status != .stopped {
            await withCheckedContinuation { execs[execID]?.waiters.append($0) }
        }
        return try self.exec(execID).state
    }

    func killExec(_ execID: String, signal: UInt32) async throws {
        let exec = try self.exec(execID)
        try Self.checkSignal(signal)
        // As runc-v2's execProcess.kill: not started is FailedPrecondition, finished is NotFound.
        if exec.state.status == .stopped { throw TTRPCError.notFound("process already finished") }
        guard exec.state.status == .running, let pid = exec.internalPid else {
            throw TTRPCError.failedPrecondition("process \(execID) is \(exec.state.status): not started")
        }
        do {
            try await runsc.kill(id: id.rawValue, signal: Int32(signal), options: KillOptions(pid: pid))
        } catch {
            if self.execs[execID]?.state.status == .stopped { throw TTRPCError.notFound("process already finished") }
            throw TTRPCError.notFound("exec \(execID): \(error)")
        }
    }

    /// Forgets a finished (or never started) exec and releases its stdio.
    func deleteExec(_ execID: String) throws -> ProcessState {
        var exec = try self.exec(execID)
        switch exec.state.status {
        case .running, .paused:
            throw TTRPCError.failedPrecondition("cannot delete a running exec \(execID)")
        case .created:
            exec.state.exited(status: 0, at: .now())
        case .stopped:
            break
        }
        exec.io.releaseAll()
        execs.removeValue(forKey: execID)
        return exec.state
    }

    /// Pids inside the sandbox, with `ProcessDetails{exec_id}` for the ones that are execs.
    func processInfos() async throws -> [Containerd_V1_Types_ProcessInfo] {
        let pids = try await pids()
        var execByPid: [UInt32: String] = [:]
        for exec in execs.values {
            if let pid = exec.internalPid { execByPid[UInt32(bitPattern: pid)] = exec.id }
        }
        return try pids.map { pid in
            var info = Containerd_V1_Types_ProcessInfo()
            info.pid = pid
            if let execID = execByPid[pid] {
                info.info = try TypeURL.pack(Containerd_Runc_V1_ProcessDetails.with { $0.execID = execID })
            }
            return info
        }
    }
}
