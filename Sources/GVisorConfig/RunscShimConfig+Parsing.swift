import HostOS
import TOMLKit

extension RunscShimConfig {
    /// The top-level keys gVisor's shim defines; anything else is reported as a warning, never silently dropped.
    public static let knownKeys = [
        "accept-nvidia-visible-devices-as-volume-mounts", "accept-nvidia-visible-devices-envvar-when-unprivileged",
        "binary_name", "enable_hibernate_server", "grouping", "io_gid", "io_uid", "log_level", "log_path", "root",
        "runsc_config", "shim_cgroup", "shim_seccomp",
    ]

    /// Why `[runsc_config]` may not set `name`, or nil when it may: the shim passes `--root`, `--log`,
    /// `--log-format` and `--panic-log` itself (a second value would win in runsc's flag parsing), and `*-fd`
    /// flags carry descriptors between runsc's own processes.
    public static func shimOwnedFlagReason(_ name: String) -> String? {
        switch name {
        case "root":
            "the shim passes --root=<root>/<namespace>; set the top-level root key instead"
        case "log", "log-format", "panic-log":
            "the shim passes --\(name) per container and reads that log to explain failures; use debug-log for "
                + "runsc's debug logs"
        default:
            name.hasSuffix("-fd") ? "file descriptor flags are passed between runsc's own processes" : nil
        }
    }

    /// Parses runsc.toml text. `file` only names the source in errors.
    ///
    /// Empty strings for `binary_name` and `root` mean the default, as in gVisor's shim.
    public static func parse(_ text: String, file: String? = nil) throws(RunscTOMLError) -> Loaded {
        try RunscTOMLReader(file: file).read(text)
    }

    /// Reads and parses a runsc.toml file; every error names the file.
    public static func load(contentsOfFile path: String) throws(RunscTOMLError) -> Loaded {
        try parse(bytes: readBytes(path), file: path)
    }

    static func readBytes(_ path: String) throws(RunscTOMLError) -> [UInt8] {
        do {
            return try HostFile.read(path)
        } catch {
            throw RunscTOMLError(.unreadableFile(error.reason), file: path)
        }
    }

    /// Parses a file's bytes, which must be UTF-8.
    static func parse(bytes: [UInt8], file: String) throws(RunscTOMLError) -> Loaded {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw RunscTOMLError(.invalidUTF8, file: file)
        }
        return try parse(text, file: file)
    }
}

private struct RunscTOMLReader {
    let file: String?

    func read(_ text: String) throws(RunscTOMLError) -> RunscShimConfig.Loaded {
        let table = try parseTable(text)
        var config = RunscShimConfig()
        var warnings: [RunscTOMLWarning] = []
        for key in table.keys.sorted(by: utf8Less) {
            guard let value = table[key] else { continue }
            switch key {
            case "binary_name":
                config.binaryName = try nonEmptyString(value, key) ?? RunscShimConfig.defaultBinaryName
            case "root":
                config.root = try nonEmptyString(value, key) ?? RunscShimConfig.defaultRoot
            case "log_path":
                config.logPath = try nonEmptyString(value, key)
            case "log_level":
                config.logLevel = try nonEmptyString(value, key)
            case "shim_cgroup":
                config.shimCgroup = try nonEmptyString(value, key)
            case "shim_seccomp":
                config.shimSeccomp = try bool(value, key)
            case "grouping":
                config.grouping = try bool(value, key)
            case "io_uid":
                config.ioUID = try uint32(value, key)
            case "io_gid":
                config.ioGID = try uint32(value, key)
            case "enable_hibernate_server":
                if try bool(value, key) {
                    warnings.append(
                        RunscTOMLWarning(
                            key: key, message: "accepted but ignored: this shim has no hibernate server"))
                }
            case "runsc_config":
                config.runscConfig = try runscConfig(value)
            case "accept-nvidia-visible-devices-envvar-when-unprivileged":
                config.acceptNVIDIAEnvironmentWhenUnprivileged = try bool(value, key)
            case "accept-nvidia-visible-devices-as-volume-mounts":
                config.acceptNVIDIAVolumeMounts = try bool(value, key)
            default:
                let known = RunscShimConfig.knownKeys.joined(separator: ", ")
                // Quoted as in TOML, so an empty or odd key still reads as a key.
                warnings.append(
                    RunscTOMLWarning(key: TOMLText.key(key), message: "unknown key, ignored (known keys: \(known))"))
            }
        }
        return RunscShimConfig.Loaded(config: config, warnings: warnings)
    }

    private func parseTable(_ text: String) throws(RunscTOMLError) -> TOMLTable {
        // toml++ reads a C string, so a NUL would silently end the document early; TOML forbids it anyway.
        if let position = position(ofFirstNULIn: text) {
            throw RunscTOMLError(.syntax("NUL characters are not allowed", position), file: file)
        }
        if let (message, position) = TOMLAssertionCheck.firstProblem(in: text) {
            throw RunscTOMLError(.syntax(message, position), file: file)
        }
        do {
            return try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let begin = error.source.begin
            throw RunscTOMLError(
                .syntax(error.description, SourcePosition(line: begin.line, column: begin.column)), file: file)
        } catch {
            throw RunscTOMLError(.syntax("\(error)", SourcePosition(line: 1, column: 1)), file: file)
        }
    }

    private func runscConfig(_ value: any TOMLValueConvertible) throws(RunscTOMLError) -> [String: String] {
        guard let table = value.table else {
            throw typeError(value, expected: "a table of runsc flags ([runsc_config])", key: "runsc_config")
        }
        var flags: [String: String] = [:]
        for name in table.keys.sorted(by: utf8Less) {
            guard let entry = table[name] else { continue }
            let key = "runsc_config.\(TOMLText.key(name))"
            if let reason = flagNameProblem(name) {
                throw RunscTOMLError(.invalidFlagName(reason), key: key, file: file)
            }
            if let reason = RunscShimConfig.shimOwnedFlagReason(name) {
                throw RunscTOMLError(.shimOwnedFlag(reason), key: key, file: file)
            }
            switch entry.type {
            case .string: flags[name] = entry.string
            case .bool: flags[name] = entry.bool.map(String.init)
            case .int: flags[name] = entry.int.map(String.init)
            default:
                throw typeError(entry, expected: "a string, boolean or integer", key: key)
            }
        }
        return flags
    }

    private func flagNameProblem(_ name: String) -> String? {
        func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
            ("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
        }
        guard let first = name.unicodeScalars.first else { return "it is empty" }
        if first == "-" {
            let bare = String(name.drop(while: { $0 == "-" }))
            return "it starts with \"-\"; write the name without dashes, e.g. \(bare)"
        }
        guard isAlphanumeric(first) else { return "it must start with a letter or digit" }
        for scalar in name.unicodeScalars.dropFirst()
        where !(isAlphanumeric(scalar) || scalar == "-" || scalar == "_" || scalar == ".") {
            return "\(JSONText.quoted(String(scalar))) is not allowed; use letters, digits, \"-\", \"_\" or \".\""
        }
        return nil
    }

    // MARK: - Typed values

    private func nonEmptyString(_ value: any TOMLValueConvertible, _ key: String) throws(RunscTOMLError) -> String? {
        guard let string = value.string else { throw typeError(value, expected: "a string", key: key) }
        return string.isEmpty ? nil : string
    }

    private func bool(_ value: any TOMLValueConvertible, _ key: String) throws(RunscTOMLError) -> Bool {
        guard let bool = value.bool else { throw typeError(value, expected: "a boolean (true or false)", key: key) }
        return bool
    }

    private func uint32(_ value: any TOMLValueConvertible, _ key: String) throws(RunscTOMLError) -> UInt32 {
        let expected = "an integer 0...\(UInt32.max)"
        guard let int = value.int else { throw typeError(value, expected: expected, key: key) }
        guard let result = UInt32(exactly: int) else {
            throw RunscTOMLError(.outOfRange(int, expected: expected), key: key, file: file)
        }
        return result
    }

    private func typeError(_ value: any TOMLValueConvertible, expected: String, key: String) -> RunscTOMLError {
        let found =
            switch value.type {
            case .string: "a string (\(JSONText.quoted(value.string ?? "")))"
            case .bool: "a boolean (\(value.bool.map(String.init) ?? ""))"
            case .int: "an integer (\(value.int.map(String.init) ?? ""))"
            case .double: "a floating-point number (\(value.double.map { "\($0)" } ?? ""))"
            case .array: "an array"
            case .table: "a table"
            case .date, .time, .dateTime: "a \(value.type)"
            }
        return RunscTOMLError(.wrongType(found: found, expected: expected), key: key, file: file)
    }

    private func position(ofFirstNULIn text: String) -> SourcePosition? {
        var line = 1
        var column = 1
        for scalar in text.unicodeScalars {
            if scalar == "\0" { return SourcePosition(line: line, column: column) }
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return nil
    }
}
