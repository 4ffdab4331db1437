extension Runsc {
    /// Builds the command line for one operation. Pure: nothing is checked on disk.
    ///
    /// Throws ``RunscArgumentError`` for input runsc would misread: an id that is empty, starts with `-` or
    /// holds characters runsc rejects, an empty path, a non-positive signal or pid, or a NUL byte anywhere.
    public func command(_ operation: RunscOperation) throws(RunscArgumentError) -> RunscCommand {
        let id = try Self.validContainerID(operation.containerID)
        var arguments = try globalArguments()
        arguments.append(operation.subcommand)
        var stdin: [UInt8]?
        switch operation {
        case .create(_, let options):
            arguments += ["--bundle", try Self.nonEmpty(options.bundle, field: "bundle")]
            try Self.append("--pid-file", options.pidFile, field: "pidFile", to: &arguments)
            try Self.append("--console-socket", options.consoleSocket, field: "consoleSocket", to: &arguments)
            try Self.append("--user-log", options.userLog, field: "userLog", to: &arguments)
            arguments.append(id)
        case .start, .state, .pause, .resume:
            arguments.append(id)
        case .wait(_, let options):
            if let pid = options.pid { arguments += ["--pid", String(try Self.positive(pid, field: "pid"))] }
            if let pid = options.rootPid {
                arguments += ["--rootpid", String(try Self.positive(pid, field: "rootPid"))]
            }
            arguments.append(id)
        case .kill(_, let signal, let options):
            if options.all { arguments.append("--all") }
            if let pid = options.pid { arguments += ["--pid", String(try Self.positive(pid, field: "pid"))] }
            arguments += [id, String(try Self.positive(signal, field: "signal"))]
        case .delete(_, let options):
            if options.force { arguments.append("--force") }
            arguments.append(id)
        case .exec(_, let options):
            arguments += ["--process", try Self.nonEmpty(options.processSpecPath, field: "processSpecPath")]
            try Self.append("--console-socket", options.consoleSocket, field: "consoleSocket", to: &arguments)
            if options.detach { arguments.append("--detach") }
            try Self.append("--pid-file", options.pidFile, field: "pidFile", to: &arguments)
            try Self.append("--internal-pid-file", options.internalPidFile, field: "internalPidFile", to: &arguments)
            arguments.append(id)
        case .ps:
            arguments += ["--format", "json", id]
        case .stats:
            arguments += ["--stats", id]
        case .update(_, let resources):
            arguments += ["--resources=-", id]
            stdin = resources
        case .checkpoint(_, let options):
            arguments.append("--image-path=\(try Self.nonEmpty(options.imagePath, field: "imagePath"))")
            if options.leaveRunning { arguments.append("--leave-running") }
            if options.direct { arguments.append("--direct") }
            arguments.append(id)
        }
        return try makeCommand(
            arguments: arguments, stdin: stdin, output: operation.output, subcommand: operation.subcommand,
            containerID: id)
    }

    /// Builds a command for a subcommand this type does not model (`list`, `restore`, …), with the same
    /// global flags. `arguments` follow the subcommand verbatim.
    public func command(
        subcommand: String, arguments: [String], stdin: [UInt8]? = nil, output: RunscOutput = .none
    ) throws(RunscArgumentError) -> RunscCommand {
        let name = try Self.nonEmpty(subcommand, field: "subcommand")
        return try makeCommand(
            arguments: try globalArguments() + [name] + arguments, stdin: stdin, output: output, subcommand: name,
            containerID: nil)
    }

    private func makeCommand(
        arguments: [String], stdin: [UInt8]?, output: RunscOutput, subcommand: String, containerID: String?
    ) throws(RunscArgumentError) -> RunscCommand {
        for argument in [binary] + arguments where argument.utf8.contains(0) {
            throw RunscArgumentError(field: "argument", value: argument, expected: "no NUL bytes")
        }
        return RunscCommand(
            executable: try Self.nonEmpty(binary, field: "binary"), arguments: arguments, stdin: stdin,
            output: output, logPath: logFormat == .json ? log : nil, subcommand: subcommand,
            containerID: containerID)
    }

    /// runsc's own rule (`^[\w+.-]+$`), minus what would escape its root directory or parse as a flag.
    static func validContainerID(_ id: String) throws(RunscArgumentError) -> String {
        let allowed = id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "."),
                UInt8(ascii: "-"):
                true
            default: false
            }
        }
        guard !id.isEmpty, allowed, !id.hasPrefix("-"), id != ".", id != ".." else {
            throw RunscArgumentError(
                field: "id", value: id,
                expected: "letters, digits, '_', '+', '.', '-', not starting with '-' and not '.' or '..'")
        }
        return id
    }

    static func positive(_ value: Int32, field: String) throws(RunscArgumentError) -> Int32 {
        guard value > 0 else {
            throw RunscArgumentError(field: field, value: String(value), expected: "a positive number")
        }
        return value
    }

    static func append(
        _ flag: String, _ value: String?, field: String, to arguments: inout [String]
    ) throws(RunscArgumentError) {
        guard let value else { return }
        arguments += [flag, try nonEmpty(value, field: field)]
    }
}
