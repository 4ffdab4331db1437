import CShim
import Glibc
import HostOS
import NIOCore
import Runsc

/// A process's stdio between containerd and runsc: containerd names FIFOs (or files), runsc gets
/// pipes, and relays on the shim's event loop copy between them. Holding our own ends of the FIFOs
/// means a container never gets EPIPE because a client detached, and `CloseIO` can end stdin.
final class ContainerIO: @unchecked Sendable {
    struct Paths: Equatable {
        var stdin = ""
        var stdout = ""
        var stderr = ""
        var terminal = false
    }

    let paths: Paths
    /// The descriptors runsc's process gets; ours to close once runsc holds them.
    private(set) var childStdin: CInt = -1
    private(set) var childStdout: CInt = -1
    private(set) var childStderr: CInt = -1
    /// The extra writer that keeps the stdin FIFO from reporting end-of-file until CloseIO.
    private var stdinKeepAlive: CInt = -1
    /// A second reader of the stdin FIFO, only to ask how much is still unread.
    private var stdinProbe: CInt = -1
    private var stdinRelay: StdioRelay.Handle?
    /// A terminal process's pty master, and the FIFO ends waiting for it.
    private var console: CInt = -1
    private var consoleSink: CInt = -1
    private var consoleSource: CInt = -1
    private var outputRelays: [EventLoopFuture<Void>] = []
    private let eventLoop: EventLoop

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Owner of the pipes a process gets (runsc.toml's `io_uid`/`io_gid`, or the runc options' `IoUid`/`IoGid`).
    struct Owner: Equatable, Sendable {
        var uid: UInt32
        var gid: UInt32

        /// nil for root's pipes, which need no change.
        init?(uid: UInt32, gid: UInt32) {
            guard uid != 0 || gid != 0 else { return nil }
            (self.uid, self.gid) = (uid, gid)
        }
    }

    /// With an `owner`, the process's pipes belong to it, as runc-v2 does for IoUid/IoGid (go-runc's
    /// NewPipeIO): a user-namespaced process can then reopen its stdio through /proc/self/fd.
    init(paths: Paths, eventLoop: EventLoop, owner: Owner? = nil) throws {
        self.paths = paths
        self.eventLoop = eventLoop
        do {
            if paths.terminal {
                // The pty master arrives later (attachConsole); until then hold the FIFOs. A
                // terminal has one output stream: stderr is merged into it by the pty.
                if !paths.stdout.isEmpty { consoleSink = try openOutput(paths.stdout) }
                if !paths.stdin.isEmpty { consoleSource = try openInput(paths.stdin) }
                return
            }
            if !paths.stdout.isEmpty { childStdout = try relayOutput(to: paths.stdout) }
            if !paths.stderr.isEmpty { childStderr = try relayOutput(to: paths.stderr) }
            if !paths.stdin.isEmpty { childStdin = try relayInput(from: paths.stdin) }
            if let owner {
                for (fd, name) in [(childStdin, "stdin"), (childStdout, "stdout"), (childStderr, "stderr")]
                where fd >= 0 {
                    guard fchown(fd, owner.uid, owner.gid) == 0 else {
                        throw Failure(
                            description: "chown of the \(name) pipe to \(owner.uid):\(owner.gid): "
                                + String(cString: strerror(errno)))
                    }
                }
            }
        } catch {
            releaseAll()
            throw error
        }
    }

    /// Starts copying between the FIFOs and the pty master runsc sent for a terminal process, and
    /// takes ownership of `master` (kept for ResizePty).
    func attachConsole(_ master: CInt) {
        console = master
        if consoleSink >= 0 {
            outputRelays.append(StdioRelay.start(from: cshim_dup_cloexec(master), to: consoleSink, on: eventLoop).done)
            consoleSink = -1
        }
        if consoleSource >= 0 {
            stdinRelay = StdioRelay.start(from: consoleSource, to: cshim_dup_cloexec(master), on: eventLoop)
            consoleSource = -1
        }
    }

    /// ResizePty; a process without a terminal ignores it, as gVisor's shim does.
    func resize(width: UInt32, height: UInt32) throws(SystemError) {
        guard console >= 0 else { return }
        guard cshim_set_window_size(console, UInt16(clamping: height), UInt16(clamping: width)) == 0 else {
            throw SystemError(operation: "TIOCSWINSZ", errno: errno)
        }
    }

    /// What runsc's process gets as stdin, stdout and stderr.
    var runscStdio: RunscStdio {
        RunscStdio(
            stdin: childStdin >= 0 ? .fileDescriptor(childStdin) : .null,
            stdout: childStdout >= 0 ? .fileDescriptor(childStdout) : .null,
            stderr: childStderr >= 0 ? .fileDescriptor(childStderr) : .null)
    }

    /// Closes the shim's copies of the child ends (after runsc has them), so end-of-file reaches
    /// the relays when the container's side closes.
    func closeChildEnds() {
        for fd in [childStdin, childStdout, childStderr] where fd >= 0 { close(fd) }
        childStdin = -1
        childStdout = -1
        childStderr = -1
    }

    /// Drops every descriptor this object still holds (Create failed, or the container is deleted);
    /// the output relays end by themselves when the container's side of their pipes closes.
    func releaseAll() {
        closeChildEnds()
        closeStdin()
        for fd in [console, consoleSink, consoleSource] where fd >= 0 { close(fd) }
        console = -1
        consoleSink = -1
        consoleSource = -1
    }

    /// Releases the stdin FIFO without ending the process's stdin (container deletion).
    func closeStdin() {
        if stdinKeepAlive >= 0 { close(stdinKeepAlive) }
        if stdinProbe >= 0 { close(stdinProbe) }
        stdinKeepAlive = -1
        stdinProbe = -1
    }

    /// CloseIO: the process's stdin ends once what the client wrote has been relayed. The client
    /// may keep its FIFO handle open, so end-of-file is not waited for; unread bytes are (briefly).
    func endStdin() async {
        guard let relay = stdinRelay else { return }
        stdinRelay = nil
        if stdinProbe >= 0 {
            for _ in 0..<200 where cshim_pending_bytes(stdinProbe) > 0 {
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        relay.finish()
        closeStdin()
    }

    /// Completes when stdout and stderr were copied to the end, or after `timeout` (a process
    /// left running in the sandbox may hold the pipe open forever).
    func drained(timeout: TimeAmount = .seconds(5)) async {
        let all = EventLoopFuture.andAllComplete(outputRelays, on: eventLoop)
        let timer = eventLoop.makePromise(of: Void.self)
        let scheduled = eventLoop.scheduleTask(in: timeout) { timer.succeed() }
        all.whenComplete { _ in
            scheduled.cancel()
            timer.succeed()
        }
        try? await timer.futureResult.get()
    }

    private func relayOutput(to path: String) throws -> CInt {
        let sink = try openOutput(path)
        let (readEnd, writeEnd) = try relayPipe(for: path, closingOnFailure: sink)
        outputRelays.append(StdioRelay.start(from: readEnd, to: sink, on: eventLoop).done)
        return writeEnd
    }

    private func relayInput(from path: String) throws -> CInt {
        let source = try openInput(path)
        let (readEnd, writeEnd) = try relayPipe(for: path, closingOnFailure: source)
        stdinRelay = StdioRelay.start(from: source, to: writeEnd, on: eventLoop)
        return readEnd
    }

    /// A close-on-exec pipe between a relay and the process; `fifo` is closed when none can be made.
    private func relayPipe(for path: String, closingOnFailure fifo: CInt) throws -> (CInt, CInt) {
        var fds: [CInt] = [0, 0]
        guard pipe(&fds) == 0 else {
            close(fifo)
            throw Failure(description: "pipe for \(path): \(String(cString: strerror(errno)))")
        }
        setCloseOnExec(fds[0])
        setCloseOnExec(fds[1])
        return (fds[0], fds[1])
    }

    /// The stdin FIFO for reading, plus our own writer so it reports end-of-file only at CloseIO.
    private func openInput(_ path: String) throws -> CInt {
        let source = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard source >= 0 else { throw Failure(description: "open stdin \(path): \(String(cString: strerror(errno)))") }
        if isFIFO(source) {
            stdinKeepAlive = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            stdinProbe = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        }
        return source
    }

    /// A FIFO is opened read-write, which never blocks and never sees EPIPE; anything else is
    /// appended to as a file, like gVisor's shim does.
    private func openOutput(_ path: String) throws -> CInt {
        var info = stat()
        let fifo = stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO
        let fd =
            fifo
            ? open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC) : open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(description: "open \(path): \(String(cString: strerror(errno)))") }
        return fd
    }

    private func isFIFO(_ fd: CInt) -> Bool {
        var info = stat()
        return fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO
    }

    private func setCloseOnExec(_ fd: CInt) { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
}
