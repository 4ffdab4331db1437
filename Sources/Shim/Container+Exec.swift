import GVisorConfig
import Glibc
import NIOCore
import OCI
import Runsc
import ShimAPI
import SwiftProtobuf

/// The exec role of a container's processes: added by Exec, run by `runsc exec --detach` at Start, reaped through
/// the long-lived `runsc exec` process that runsc leaves behind (re-parented to the shim, a child subreaper),
/// whose exit status is the process's own.
extension Container {
    /// Records an exec (TaskExecAdded follows); its stdio FIFOs are opened now so a bad path fails here.
    func addExec(
        id execID: String, spec: Google_Protobuf_Any, paths: ContainerIO.Paths, eventLoop: any EventLoop
    ) throws {
        _ = try ShimError.wrapping(.invalidArgument, "exec id") { try ContainerID(execID) }
        guard execs[execID] == nil else { throw ShimError.alreadyExists("id \(execID)") }
        guard initState.status == .running || initState.status == .paused else {
            throw ShimError.failedPrecondition("cannot exec in a \(initState.status) container \(id)")
        }
        let processJSON = try Self.execSpec(spec, terminal: paths.terminal)
        let io = try ShimError.wrapping(.internalError, "stdio of exec \(execID)") {
            try ContainerIO(paths: paths, eventLoop: eventLoop, owner: setup.ioOwner)
        }
        addExec(
            ContainerProcess(
                execID: execID, role: .exec(spec: processJSON), io: io,
                state: ProcessState(name: "exec \(execID)", pid: 0)))
    }

    /// The request's `spec` (an OCI `Process` as JSON) with `terminal` set as the request says.
    static func execSpec(_ spec: Google_Protobuf_Any, terminal: Bool) throws(ShimError) -> [UInt8] {
        var process = try ShimError.wrapping(
            .invalidArgument, "spec: expected an OCI process as JSON (\(spec.typeURL))"
        ) {
            try JSONValue.decode(Array(spec.value), file: "spec")
        }
        guard process.objectValue != nil else {
            throw .invalidArgument("spec: expected an OCI process as a JSON object, got \(process.kindName)")
        }
        guard let args = process["args"]?.arrayValue, !args.isEmpty else {
            throw .invalidArgument("spec.args: expected the command to run, got none")
        }
        process["terminal"] = .bool(terminal)
        return process.encoded()
    }

    /// Runs the exec and returns its host pid (the `runsc exec` process that lives as long as it). Marked running
    /// first, so a concurrent Start of the same exec is refused; a failure records it as exited with 128.
    func startExec(_ execID: String) async throws -> pid_t {
        try process(execID).state.check(.start)
        guard initState.status == .running else {
            throw ShimError.failedPrecondition("cannot start exec \(execID) in a \(initState.status) container")
        }
        let exec = try mutate(execID) { process in
            try process.state.apply(.start)
            return process
        }
        guard case .exec(let spec) = exec.role else { throw ShimError.internal("process \(execID) is no exec") }
        do {
            return try await runExec(execID, spec: spec, io: exec.io)
        } catch {
            exec.io.releaseAll()
            recordExit(execID, status: 128)
            throw error
        }
    }

    private func runExec(_ execID: String, spec: [UInt8], io: ContainerIO) async throws -> pid_t {
        let files = BundleFiles.ExecFiles(bundle: bundle, execID: execID)
        defer { for file in [files.processSpec, files.pid, files.internalPid] { unlink(file) } }
        try ConfigFile.writeAtomically(String(decoding: spec, as: UTF8.self), to: files.processSpec, mode: 0o600)
        let console = try io.paths.terminal ? consoleSocket() : nil
        defer { console?.close() }
        let options = ExecOptions(
            processSpecPath: files.processSpec, consoleSocket: console?.path, detach: true, pidFile: files.pid,
            internalPidFile: files.internalPid)
        try await runsc.exec(id: id.rawValue, options: options, stdio: io.runscStdio)
        io.closeChildEnds()
        let hostPid: Int32
        do {
            hostPid = try RunscClient.readPidFile(files.pid)
            let internalPid = try? RunscClient.readPidFile(files.internalPid)
            try mutate(execID) { $0.internalPid = internalPid }
            if let console { io.attachConsole(try console.receiveMaster()) }
        } catch {
            if let pid = try? process(execID).internalPid {
                try? await runsc.kill(id: id.rawValue, signal: SIGKILL, options: KillOptions(pid: pid))
            }
            throw ShimError.internal("exec \(execID) started without a usable pid file or terminal: \(error)")
        }
        try mutate(execID) { $0.state.pid = UInt32(bitPattern: hostPid) }
        let internalPid = execs[execID]?.internalPid ?? 0
        log.debug(
            "exec started",
            [("id", id.rawValue), ("exec", execID), ("pid", "\(hostPid)"), ("internal", "\(internalPid)")])
        return hostPid
    }

    /// As runc-v2's execProcess.kill: not started is FailedPrecondition, finished is NotFound.
    func killExec(_ execID: String, signal: UInt32) async throws {
        let exec = try process(execID)
        guard exec.state.status == .running, let pid = exec.internalPid else {
            throw ShimError.failedPrecondition("process \(execID) is \(exec.state.status): not started")
        }
        do {
            try await runsc.kill(id: id.rawValue, signal: Int32(signal), options: KillOptions(pid: pid))
        } catch {
            if execs[execID]?.state.status == .stopped { throw ShimError.notFound("process already finished") }
            throw ShimError.notFound("exec \(execID): \(error)")
        }
    }

    /// Pids inside the sandbox, with `ProcessDetails{exec_id}` for the ones that are execs.
    func processInfos() async throws -> [Containerd_V1_Types_ProcessInfo] {
        let pids = try await pids()
        var execByPid: [UInt32: String] = [:]
        for exec in execs.values {
            if let pid = exec.internalPid { execByPid[UInt32(bitPattern: pid)] = exec.execID }
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
