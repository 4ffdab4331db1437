/// A spawned runsc command whose outcome is still to come, already interpreted: ``value()`` throws
/// ``RunscError`` on failure and decodes the output on success.
///
/// This is how the shim starts `runsc wait` before it sends a kill: spawn now, await later.
public struct RunscPending<Output: Sendable>: Sendable {
    /// The raw child, for its pid or for an uninterpreted ``RunscProcess/wait()``.
    public let process: RunscProcess
    private let interpret: @Sendable (RunscResult) throws -> Output

    public init(process: RunscProcess, interpret: @escaping @Sendable (RunscResult) throws -> Output) {
        self.process = process
        self.interpret = interpret
    }

    public var pid: Int32 { process.pid }

    /// Waits for the exit, then checks and decodes.
    public func value() async throws -> Output {
        try interpret(try await process.wait())
    }
}
