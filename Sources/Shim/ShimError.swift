import GVisorConfig
import Hardening
import NVProxy
import OCI
import Runsc
import TTRPC

/// The shim's own error: the code containerd acts on and the message `ctr` and the kubelet show. Domain code throws
/// this, or a library's error that knows its code through the conformances below; the TTRPC server turns either
/// into a status at its edge (`TTRPCError(mapping:)`), so no code here builds transport errors.
struct ShimError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The gRPC codes the shim answers with, as containerd's runc-v2 shim uses them (errdefs).
    enum Code: Sendable, Equatable {
        case invalidArgument, notFound, alreadyExists, failedPrecondition, unimplemented, internalError, unknown
    }

    let code: Code
    let message: String

    var description: String { message }

    static func invalidArgument(_ message: String) -> ShimError { ShimError(code: .invalidArgument, message: message) }
    static func notFound(_ message: String) -> ShimError { ShimError(code: .notFound, message: message) }
    static func alreadyExists(_ message: String) -> ShimError { ShimError(code: .alreadyExists, message: message) }
    static func failedPrecondition(_ message: String) -> ShimError {
        ShimError(code: .failedPrecondition, message: message)
    }
    static func unimplemented(_ message: String) -> ShimError { ShimError(code: .unimplemented, message: message) }
    static func `internal`(_ message: String) -> ShimError { ShimError(code: .internalError, message: message) }

    /// Runs `body`; what it throws becomes `code`, with `context` in front (`"stdio of c1: ..."`) when given.
    static func wrapping<T>(_ code: Code, _ context: String?, _ body: () throws -> T) throws(ShimError) -> T {
        do { return try body() } catch {
            throw ShimError(code: code, message: context.map { "\($0): \(error)" } ?? "\(error)")
        }
    }
}

extension ShimError: TTRPCStatusConvertible {
    var ttrpcError: TTRPCError {
        let status: TTRPCStatusCode =
            switch code {
            case .invalidArgument: .invalidArgument
            case .notFound: .notFound
            case .alreadyExists: .alreadyExists
            case .failedPrecondition: .failedPrecondition
            case .unimplemented: .unimplemented
            case .internalError: .internal
            case .unknown: .unknown
            }
        return TTRPCError(status, message)
    }
}

/// An illegal lifecycle step (Start of a running process, Pause of a stopped one) is FailedPrecondition, as in
/// containerd's runc-v2 shim (pkg/process state errors wrap errdefs.ErrFailedPrecondition).
extension ProcessState.InvalidTransition: TTRPCStatusConvertible {
    var ttrpcError: TTRPCError { TTRPCError(.failedPrecondition, description) }
}

/// runsc's own message, as Unknown: gVisor's shim reports runsc failures so.
extension RunscError: TTRPCStatusConvertible {
    public var ttrpcError: TTRPCError { TTRPCError(.unknown, description) }
}

/// runsc could not be run at all: Unknown with the reason, as for runsc's own failures.
extension RunscSpawnError: TTRPCStatusConvertible {
    public var ttrpcError: TTRPCError { TTRPCError(.unknown, description) }
}

/// A spec field runsc would reject: the request's bundle is wrong.
extension OCISpecError: TTRPCStatusConvertible {
    public var ttrpcError: TTRPCError { TTRPCError(.invalidArgument, description) }
}

/// A JSON document (config.json, an exec's process) that is not JSON: the request is wrong.
extension JSONValueError: TTRPCStatusConvertible {
    public var ttrpcError: TTRPCError { TTRPCError(.invalidArgument, description) }
}

/// A runsc.toml that cannot be used: the runtime's configuration, named with its file and line.
extension RunscTOMLError: TTRPCStatusConvertible {
    public var ttrpcError: TTRPCError { TTRPCError(.invalidArgument, description) }
}

/// A runtime options Any the shim cannot decode.
extension RuntimeOptions.Failure: TTRPCStatusConvertible {
    var ttrpcError: TTRPCError { TTRPCError(.invalidArgument, "options: \(description)") }
}

/// A GPU request that is wrong is InvalidArgument; a host or runsc that cannot serve it is FailedPrecondition.
extension NVProxyError: TTRPCStatusConvertible {
    public var ttrpcError: TTRPCError {
        // "nvproxy is requested ..." needs no "nvproxy: " in front.
        let text = description.hasPrefix("nvproxy") ? description : "nvproxy: \(description)"
        switch problem {
        case .badRequest, .invalidSpec, .exceedsAllocation, .environmentNotAccepted, .volumeMountNotAccepted:
            return TTRPCError(.invalidArgument, text)
        default: return TTRPCError(.failedPrecondition, text)
        }
    }
}
