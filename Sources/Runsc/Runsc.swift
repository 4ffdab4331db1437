/// How to invoke the runsc binary: the global flags that go before every subcommand.
///
/// A value type so the shim can derive one per container (root per namespace, log per bundle) and so argv
/// building stays pure and testable; nothing here touches the system. Turn an operation into a command with
/// ``command(_:)``, run it with a ``RunscExecutor`` or ``RunscClient``.
public struct Runsc: Sendable, Hashable {
    /// runsc's `--log-format` values.
    public enum LogFormat: String, Sendable, Hashable {
        case json
        case text
    }

    /// The executable; a bare name is looked up in `PATH` when spawned.
    public var binary: String
    /// `--root`: runsc's state directory (the shim uses `<root>/<namespace>`).
    public var root: String?
    /// `--log`: runsc's own log. With ``LogFormat/json`` failures are explained from it (see ``RunscLog``).
    public var log: String?
    /// `--log-format`; `nil` leaves runsc's default.
    public var logFormat: LogFormat?
    /// `--panic-log`.
    public var panicLog: String?
    /// Further global flags exactly as runsc should see them (`--platform=ptrace`), in order, after the ones
    /// above. They come from `runsc.toml`'s `[runsc_config]`, so their order is the caller's to decide.
    public var extraFlags: [String]

    public init(
        binary: String = "runsc", root: String? = nil, log: String? = nil, logFormat: LogFormat? = .json,
        panicLog: String? = nil, extraFlags: [String] = []
    ) {
        self.binary = binary
        self.root = root
        self.log = log
        self.logFormat = logFormat
        self.panicLog = panicLog
        self.extraFlags = extraFlags
    }

    /// Spells one `[runsc_config]` entry as a global flag: `flag("platform", "ptrace")` is `--platform=ptrace`.
    public static func flag(_ name: String, _ value: String) -> String {
        "--\(name)=\(value)"
    }

    /// The flags placed between the binary and the subcommand, in the order runsc's Go shim uses.
    public func globalArguments() throws(RunscArgumentError) -> [String] {
        var arguments: [String] = []
        if let root { arguments.append("--root=\(try Self.nonEmpty(root, field: "root"))") }
        if let log { arguments.append("--log=\(try Self.nonEmpty(log, field: "log"))") }
        if let logFormat { arguments.append("--log-format=\(logFormat.rawValue)") }
        if let panicLog { arguments.append("--panic-log=\(try Self.nonEmpty(panicLog, field: "panicLog"))") }
        for (index, flag) in extraFlags.enumerated() {
            guard flag.hasPrefix("-"), flag.count > 1 else {
                throw RunscArgumentError(
                    field: "extraFlags[\(index)]", value: flag,
                    expected: "a flag starting with '-', like --platform=ptrace")
            }
            arguments.append(flag)
        }
        return arguments
    }

    static func nonEmpty(_ value: String, field: String) throws(RunscArgumentError) -> String {
        guard !value.isEmpty else {
            throw RunscArgumentError(field: field, value: value, expected: "a non-empty string")
        }
        return value
    }
}
