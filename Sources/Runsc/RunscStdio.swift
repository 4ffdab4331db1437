/// Where a runsc child's stdin, stdout and stderr go.
///
/// For `create` (pod sandbox), `start` (other containers) and `exec`, runsc hands its own stdio to the
/// container process, so the shim passes the container's pipes here. Descriptors given as
/// ``Input/fileDescriptor(_:)`` or ``Output/fileDescriptor(_:)`` stay owned by the caller: they are
/// duplicated into the child and never closed.
///
/// ``Output/capture`` collects the output for the result. The collection ends when runsc exits, not at
/// end-of-file, because processes runsc starts (sandbox, gofer) may inherit the pipe and keep it open; a
/// container that inherited a captured pipe later writes into a closed pipe, so capture container stdio only
/// when its output does not matter.
public struct RunscStdio: Sendable, Hashable {
    public enum Input: Sendable, Hashable {
        /// `/dev/null`.
        case null
        case fileDescriptor(Int32)
    }

    public enum Output: Sendable, Hashable {
        /// `/dev/null`.
        case null
        /// A pipe read by the executor; the bytes end up in ``RunscResult``.
        case capture
        case fileDescriptor(Int32)
    }

    public var stdin: Input
    public var stdout: Output
    public var stderr: Output

    public init(stdin: Input = .null, stdout: Output = .capture, stderr: Output = .capture) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
    }

    /// Empty stdin, stdout and stderr captured: right for every command that does not run container code.
    public static let captured = RunscStdio()
    /// Everything to `/dev/null`.
    public static let null = RunscStdio(stdin: .null, stdout: .null, stderr: .null)
}
