import CShim
import Glibc
import HostOS
import NIOCore

/// The `containerd-shim-runsc-v1` program: containerd's command line in, the right action out.
public enum ShimMain {
    /// Must run before anything else: signals the reaper consumes are blocked before any thread exists, and malloc
    /// is tuned for a small daemon (cshim.h): one arena, and freed pages handed back instead of kept in reserve.
    /// glibc would give every thread that allocates an arena of its own and keeps 128 KiB at the heap's top; an
    /// idle shim's private memory dropped from 1.24 to 1.09 MB with the one arena alone (measured, issue 19).
    public static func prepareProcess() {
        Reaper.blockSignals()
        _ = cshim_tune_malloc()
    }

    /// The whole program on one thread (ShimRunLoop.swift); exits with the action's status.
    public static func main(arguments: [String]) -> Never {
        ShimRunLoop.run { eventLoop in await run(arguments: arguments, eventLoop: eventLoop) }
    }

    /// One action of containerd's command line; `eventLoop` is the thread's loop the daemon serves on.
    public static func run(arguments: [String], eventLoop: any EventLoop) async -> Int32 {
        let flags: ShimFlags
        do { flags = try ShimFlags.parse(Array(arguments.dropFirst())) } catch {
            writeStderr("containerd-shim-runsc-v1: \(error)\n")
            return 2
        }
        if flags.version {
            print("containerd-shim-runsc-v1:\n  Version: \(ShimVersion.version)\n  Runtime: \(ShimVersion.runtime)")
            return 0
        }
        let environment = currentEnvironment()
        let cwd = currentDirectory()
        if flags.info { return await info() }
        switch flags.action {
        case .start:
            return start(flags: flags, arguments: arguments, bundle: cwd, environment: environment)
        case .delete:
            let bundle = flags.bundle.isEmpty ? cwd : flags.bundle
            let answer = await ShimDelete(flags: flags, bundle: bundle).run(log: ShimLog(fields: [("id", flags.id)]))
            writeAll(STDOUT_FILENO, answer)
            return 0
        case nil:
            redirectStderrToLogFIFO()
            let trace = ShimTrace.daemonLog(flags: flags)
            trace?.debug("daemon main")
            do {
                try await ShimDaemon(flags: flags, environment: environment).run(on: eventLoop)
                trace?.debug("daemon exit")
                return 0
            } catch {
                ShimLog().error("shim daemon failed", [("error", "\(error)")])
                return 1
            }
        }
    }

    /// `-info`: containerd 2.x's runtime introspection (ShimInfo.swift).
    private static func info() async -> Int32 {
        do {
            let stdin = (try? HostFile.read("-")) ?? []
            writeAll(STDOUT_FILENO, try await ShimInfo(stdin: stdin).run())
            return 0
        } catch {
            writeStderr("containerd-shim-runsc-v1 -info: \(error)\n")
            return 1
        }
    }

    /// `start`: reuse the pod's shim or launch the daemon, and answer containerd (ShimStart.swift).
    private static func start(flags: ShimFlags, arguments: [String], bundle: String, environment: [String: String])
        -> Int32
    {
        let trace = ShimTrace.startLog(flags: flags)
        trace?.log.debug("shim start")
        defer { if let trace { close(trace.fd) } }
        let stdin = (try? HostFile.read("-")) ?? []
        let start = ShimStart(flags: flags, bundle: bundle, stdin: stdin, environment: environment)
        do {
            let answer = try start.run { daemonFlags, listener in
                // Hardening: the daemon learns runsc.toml's path and starts with the reduced capability
                // bounding set of this thread (ShimHardening.swift).
                let daemonEnvironment = ShimHardening.daemonEnvironment(environment, startStdin: stdin)
                ShimHardening.dropCapabilitiesForDaemon(daemonEnvironment: daemonEnvironment)
                return try DaemonLauncher.spawn(
                    argv0: arguments.first ?? "containerd-shim-runsc-v1", flags: daemonFlags, listener: listener,
                    environment: daemonEnvironment)
            }
            trace?.log.debug("shim start answered")
            writeAll(STDOUT_FILENO, answer)
            return 0
        } catch {
            writeStderr("\(error)\n")
            return 1
        }
    }

    /// containerd reads the daemon's log from the `log` FIFO in the bundle. Opened read-write and
    /// non-blocking: while containerd restarts the FIFO keeps up to a pipe's worth (64 KiB) of lines for the
    /// next containerd to read, instead of failing with EPIPE, and a full pipe drops a line rather than
    /// blocking the shim.
    static func redirectStderrToLogFIFO() {
        let fd = open("log", O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return }
        dup2(fd, STDERR_FILENO)
        close(fd)
    }

    static func currentEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }

    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func writeStderr(_ text: String) { writeAll(STDERR_FILENO, Array(text.utf8)) }

    static func writeAll(_ fd: CInt, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}
