/// The command line containerd passes to a runtime v2 shim, parsed the way Go's `flag` package does
/// (`-name value`, `-name=value`, `--name`, bare booleans), because containerd and gVisor's Go shim
/// speak that dialect and a drop-in replacement must accept exactly it.
public struct ShimFlags: Equatable, Sendable {
    public enum Action: String, Sendable {
        case start, delete
    }

    public var namespace = ""
    public var address = ""
    public var publishBinary = ""
    public var id = ""
    public var bundle = ""
    public var socket = ""
    public var debugSocket = ""
    public var debug = false
    public var version = false
    public var info = false
    /// `start` or `delete`; nil runs the daemon.
    public var action: Action?

    public init() {}

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    private static let stringFlags: Set<String> = [
        "namespace", "address", "publish-binary", "id", "bundle", "socket", "debug-socket",
    ]
    private static let boolFlags: Set<String> = ["debug", "v", "version", "info"]

    public static func parse(_ arguments: [String]) throws(ParseError) -> ShimFlags {
        var flags = ShimFlags()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("-"), argument != "-" else { break }
            if argument == "--" {
                index += 1
                break
            }
            var body = argument.dropFirst()
            if body.hasPrefix("-") { body = body.dropFirst() }
            var name = String(body)
            var inlineValue: String?
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                inlineValue = String(body[body.index(after: equals)...])
            }
            index += 1
            if boolFlags.contains(name) {
                var value = true
                if let inlineValue {
                    guard let parsed = parseBool(inlineValue) else {
                        throw ParseError(description: "invalid boolean value \"\(inlineValue)\" for -\(name)")
                    }
                    value = parsed
                }
                flags.set(name, bool: value)
            } else if stringFlags.contains(name) {
                if let inlineValue {
                    flags.set(name, string: inlineValue)
                } else {
                    guard index < arguments.count else {
                        throw ParseError(description: "flag needs an argument: -\(name)")
                    }
                    flags.set(name, string: arguments[index])
                    index += 1
                }
            } else {
                throw ParseError(description: "flag provided but not defined: -\(name)")
            }
        }
        flags.action = try action(arguments[index...])
        return flags
    }

    private mutating func set(_ name: String, bool value: Bool) {
        switch name {
        case "debug": debug = value
        case "info": info = value
        default: version = value
        }
    }

    private mutating func set(_ name: String, string value: String) {
        switch name {
        case "namespace": namespace = value
        case "address": address = value
        case "publish-binary": publishBinary = value
        case "id": id = value
        case "bundle": bundle = value
        case "socket": socket = value
        default: debugSocket = value
        }
    }

    /// The one positional argument after the flags (Go's flag package stops at the first non-flag).
    private static func action(_ rest: ArraySlice<String>) throws(ParseError) -> Action? {
        guard let first = rest.first else { return nil }
        guard let action = Action(rawValue: first) else {
            throw ParseError(description: "unknown action \"\(first)\" (expected start or delete)")
        }
        guard rest.count == 1 else {
            throw ParseError(
                description: "unexpected arguments after \(first): \(rest.dropFirst().joined(separator: " "))")
        }
        return action
    }

    /// Go's strconv.ParseBool.
    private static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "true", "TRUE", "True": true
        case "0", "f", "F", "false", "FALSE", "False": false
        default: nil
        }
    }

    /// The arguments that re-create these flags, for the daemon the `start` action spawns.
    public func daemonArguments() -> [String] {
        var arguments = ["-namespace", namespace, "-id", id, "-address", address]
        if !publishBinary.isEmpty { arguments += ["-publish-binary", publishBinary] }
        if !bundle.isEmpty { arguments += ["-bundle", bundle] }
        if debug { arguments.append("-debug") }
        return arguments
    }
}
