import HostOS
import Synchronization

/// Runs runsc operations and interprets the results: typed answers on success, ``RunscError`` with runsc's
/// own message on failure.
///
/// A value type holding the configuration and the executor; copy it per container freely.
public struct RunscClient: Sendable {
    public var runsc: Runsc
    public var executor: any RunscExecutor

    public init(runsc: Runsc, executor: any RunscExecutor = ProcessExecutor()) {
        self.runsc = runsc
        self.executor = executor
    }

    /// Sees every invocation whose result is read, once, with its wall time from spawn to exit: the shim logs them at
    /// debug level for its phase breakdown (`make bench`). Process-wide because every client in a process shares
    /// one log; nil (the default) costs nothing.
    public typealias InvocationObserver =
        @Sendable (_ command: RunscCommand, _ duration: Duration, _ status: ProcessExitStatus) -> Void

    private static let observer = Mutex<InvocationObserver?>(nil)

    /// Installs (or with nil removes) the process-wide ``InvocationObserver``.
    public static func observeInvocations(_ observer: InvocationObserver?) {
        Self.observer.withLock { $0 = observer }
    }

    /// Spawns `command` now; the pending value is its result, checked: a non-zero exit throws ``RunscError``.
    public func spawn(_ command: RunscCommand, stdio: RunscStdio = .captured) throws -> RunscPending<RunscResult> {
        try spawn(command, stdio: stdio) { $0 }
    }

    /// Spawns `command` and decodes its checked result with `decode`.
    public func spawn<Output: Sendable>(
        _ command: RunscCommand, stdio: RunscStdio, decode: @escaping @Sendable (RunscResult) throws -> Output
    ) throws -> RunscPending<Output> {
        // Only what runsc appends from now on can explain this run's failure.
        let logOffset = command.logPath.flatMap(POSIX.fileSize)
        let observer = Self.observer.withLock { $0 }
        let started = ContinuousClock.now
        let process = try executor.spawn(command, stdio: stdio)
        return RunscPending(process: process) { result in
            observer?(command, .now - started, result.status)
            if let error = Self.failure(of: result, command: command, logOffset: logOffset) { throw error }
            return try decode(result)
        }
    }

    /// Runs `command` to completion; a non-zero exit throws ``RunscError``.
    @discardableResult
    public func run(_ command: RunscCommand, stdio: RunscStdio = .captured) async throws -> RunscResult {
        try await spawn(command, stdio: stdio).value()
    }

    /// The error a finished command stands for, or `nil` if it succeeded.
    ///
    /// The message is the last error runsc appended to its JSON log after `logOffset` (the log's size before
    /// the run; `nil` reads the whole log), else its captured stderr.
    public static func failure(of result: RunscResult, command: RunscCommand, logOffset: Int64?) -> RunscError? {
        guard !result.status.isSuccess else { return nil }
        let stderr = RunscLog.trimmed(String(decoding: result.stderr.suffix(4096), as: UTF8.self))
        let logged = command.logPath.flatMap { RunscLog.lastError(atPath: $0, from: logOffset ?? 0) }
        return RunscError(
            subcommand: command.subcommand, containerID: command.containerID, exitStatus: result.status,
            message: logged ?? (stderr.isEmpty ? nil : stderr), stderr: stderr)
    }
}
