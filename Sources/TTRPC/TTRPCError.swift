import SwiftProtobuf

/// An error with a ttrpc status: what a handler throws to choose the code the caller sees, and what a client
/// throws when the server answered with a non-OK status or the call failed locally.
public struct TTRPCError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: TTRPCStatusCode
    public var message: String
    /// `google.rpc.Status.details`, passed through untouched.
    public var details: [Google_Protobuf_Any]

    public init(_ code: TTRPCStatusCode, _ message: String, details: [Google_Protobuf_Any] = []) {
        self.code = code
        self.message = message
        self.details = details
    }

    /// Reads a status received on the wire.
    public init(status: Google_Rpc_Status) {
        self.init(TTRPCStatusCode(wireValue: status.code), status.message, details: status.details)
    }

    /// Maps any error to a status: ``TTRPCError`` and ``TTRPCStatusConvertible`` keep their code,
    /// `CancellationError` becomes ``TTRPCStatusCode/cancelled``, anything else ``TTRPCStatusCode/unknown`` with the
    /// error's description (ttrpc's `convertCode`).
    public init(mapping error: any Error) {
        switch error {
        case let error as TTRPCError: self = error
        case let error as any TTRPCStatusConvertible: self = error.ttrpcError
        case is CancellationError: self.init(.cancelled, "context canceled")
        default: self.init(.unknown, String(describing: error))
        }
    }

    /// The wire form.
    public var status: Google_Rpc_Status {
        var status = Google_Rpc_Status()
        status.code = code.rawValue
        status.message = message
        status.details = details
        return status
    }

    /// grpc-go's format, `rpc error: code = NotFound desc = ...`, which is what containerd prints.
    public var description: String {
        "rpc error: code = \(code) desc = \(message)"
    }
}

extension TTRPCError {
    public static func cancelled(_ message: String) -> TTRPCError { TTRPCError(.cancelled, message) }
    public static func unknown(_ message: String) -> TTRPCError { TTRPCError(.unknown, message) }
    public static func invalidArgument(_ message: String) -> TTRPCError { TTRPCError(.invalidArgument, message) }
    public static func deadlineExceeded(_ message: String) -> TTRPCError { TTRPCError(.deadlineExceeded, message) }
    public static func notFound(_ message: String) -> TTRPCError { TTRPCError(.notFound, message) }
    public static func alreadyExists(_ message: String) -> TTRPCError { TTRPCError(.alreadyExists, message) }
    public static func permissionDenied(_ message: String) -> TTRPCError { TTRPCError(.permissionDenied, message) }
    public static func resourceExhausted(_ message: String) -> TTRPCError { TTRPCError(.resourceExhausted, message) }
    public static func failedPrecondition(_ message: String) -> TTRPCError {
        TTRPCError(.failedPrecondition, message)
    }
    public static func aborted(_ message: String) -> TTRPCError { TTRPCError(.aborted, message) }
    public static func outOfRange(_ message: String) -> TTRPCError { TTRPCError(.outOfRange, message) }
    public static func unimplemented(_ message: String) -> TTRPCError { TTRPCError(.unimplemented, message) }
    public static func `internal`(_ message: String) -> TTRPCError { TTRPCError(.internal, message) }
    public static func unavailable(_ message: String) -> TTRPCError { TTRPCError(.unavailable, message) }
    public static func dataLoss(_ message: String) -> TTRPCError { TTRPCError(.dataLoss, message) }
    public static func unauthenticated(_ message: String) -> TTRPCError { TTRPCError(.unauthenticated, message) }
}

/// An error type of another module that knows its ttrpc status, so handlers can throw domain errors directly.
public protocol TTRPCStatusConvertible: Error {
    var ttrpcError: TTRPCError { get }
}
