import Glibc

/// The default ``RunscExecutor``: `posix_spawn` (``PosixSpawner``) plus a ``ChildWaiter`` for the exit and
/// the captured output.
public struct ProcessExecutor: RunscExecutor {
    /// Who reaps the children; the shim passes its reaper-backed waiter.
    public var waiter: any ChildWaiter
    /// The children's environment; `nil` passes this process's.
    public var environment: [String]?

    public init(waiter: any ChildWaiter = ThreadWaiter(), environment: [String]? = nil) {
        self.waiter = waiter
        self.environment = environment
    }

    public func spawn(_ command: RunscCommand, stdio: RunscStdio) throws -> RunscProcess {
        if command.stdin != nil && stdio.stdin != .null {
            throw RunscArgumentError(
                field: "stdio.stdin", value: "\(stdio.stdin)",
                expected: ".null, because \(command.subcommand) feeds its own bytes to stdin")
        }
        var plumbing = Plumbing(executable: command.executable)
        defer { plumbing.closeChildEnds() }
        do {
            let stdin = try plumbing.input(stdio.stdin, bytes: command.stdin)
            let stdout = try plumbing.output(stdio.stdout)
            let stderr = try plumbing.output(stdio.stderr)
            let environment = environment
            let child = try waiter.watch {
                try PosixSpawner.spawn(
                    executable: command.executable, argv: command.argv, environment: environment, stdin: stdin,
                    stdout: stdout.child, stderr: stderr.child)
            }
            let stdoutCapture = stdout.parent.map(waiter.capture)
            let stderrCapture = stderr.parent.map(waiter.capture)
            plumbing.parentEnds.removeAll()
            return RunscProcess(command: command, pid: child.pid) {
                let status: ProcessExitStatus
                do {
                    status = try await child.exitStatus()
                } catch {
                    _ = await stdoutCapture?.finish()
                    _ = await stderrCapture?.finish()
                    throw error
                }
                return RunscResult(
                    pid: child.pid, status: status, stdout: await stdoutCapture?.finish() ?? [],
                    stderr: await stderrCapture?.finish() ?? [])
            }
        } catch {
            plumbing.parentEnds.forEach(POSIX.closeQuietly)
            throw error
        }
    }
}

/// The descriptors made for one spawn: the child's ends are closed in the parent after the spawn, the
/// parent's read ends go to the waiter's ``ChildWaiter/capture(_:)``.
private struct Plumbing {
    let executable: String
    var childEnds: [Int32] = []
    var parentEnds: [Int32] = []

    init(executable: String) {
        self.executable = executable
    }

    mutating func input(_ input: RunscStdio.Input, bytes: [UInt8]?) throws(RunscSpawnError) -> Int32 {
        if let bytes { return try feed(bytes) }
        switch input {
        case .null: return try devNull()
        case .fileDescriptor(let fd): return fd
        }
    }

    mutating func output(_ output: RunscStdio.Output) throws(RunscSpawnError) -> (child: Int32, parent: Int32?) {
        switch output {
        case .null: return (try devNull(), nil)
        case .fileDescriptor(let fd): return (fd, nil)
        case .capture:
            let pipe = try makePipe()
            childEnds.append(pipe.write)
            parentEnds.append(pipe.read)
            return (pipe.write, pipe.read)
        }
    }

    /// Stdin bytes: a pipe filled before the spawn when they fit its buffer, else an unlinked temporary file.
    mutating func feed(_ bytes: [UInt8]) throws(RunscSpawnError) -> Int32 {
        let pipe = try makePipe()
        childEnds.append(pipe.read)
        defer { POSIX.closeQuietly(pipe.write) }
        POSIX.setNonBlocking(pipe.write)
        do {
            if try POSIX.writeAvailable(pipe.write, bytes) == bytes.count { return pipe.read }
        } catch {
            throw RunscSpawnError(executable: executable, errno: error.errno, operation: "write stdin")
        }
        return try temporaryFile(holding: bytes)
    }

    mutating func temporaryFile(holding bytes: [UInt8]) throws(RunscSpawnError) -> Int32 {
        let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(directory)/runsc-stdin-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw RunscSpawnError(executable: executable, errno: errno, operation: "mkstemp") }
        childEnds.append(fd)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        let written: Int
        do {
            written = try POSIX.writeAvailable(fd, bytes)
        } catch {
            throw RunscSpawnError(executable: executable, errno: error.errno, operation: "write stdin file")
        }
        guard written == bytes.count, lseek(fd, 0, SEEK_SET) == 0 else {
            throw RunscSpawnError(executable: executable, errno: errno, operation: "write stdin file")
        }
        return fd
    }

    mutating func devNull() throws(RunscSpawnError) -> Int32 {
        let fd = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw RunscSpawnError(executable: executable, errno: errno, operation: "open /dev/null") }
        childEnds.append(fd)
        return fd
    }

    func makePipe() throws(RunscSpawnError) -> (read: Int32, write: Int32) {
        do {
            return try POSIX.makePipe()
        } catch {
            throw RunscSpawnError(executable: executable, errno: error.errno, operation: error.call)
        }
    }

    mutating func closeChildEnds() {
        childEnds.forEach(POSIX.closeQuietly)
        childEnds.removeAll()
    }
}
