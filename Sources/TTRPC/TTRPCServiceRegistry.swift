import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The server's method table: handlers keyed by fully qualified service name and bare method name.
///
/// A value built before the server starts and then shared read-only by every connection, so dispatch needs no
/// synchronisation.
public struct TTRPCServiceRegistry: Sendable {
    /// A handler over raw payload bytes (the request message's protobuf encoding in, the response's out).
    public typealias Handler = @Sendable (_ payload: Data, _ context: TTRPCRequestContext) async throws -> Data

    private var table: [String: [String: Handler]] = [:]

    public init() {}

    /// Registers a raw handler; registering the same service and method again replaces the earlier handler.
    public mutating func register(service: String, method: String, handler: @escaping Handler) {
        table[service, default: [:]][method] = handler
    }

    /// Registers a handler for protobuf messages.
    ///
    /// A payload that does not decode as `Request` is answered with `InvalidArgument` naming the message type.
    public mutating func register<Request: Message, Response: Message>(
        service: String, method: String,
        handler: @escaping @Sendable (_ request: Request, _ context: TTRPCRequestContext) async throws -> Response
    ) {
        register(service: service, method: method) { payload, context in
            let request: Request
            do {
                request = try Request(serializedBytes: payload)
            } catch {
                throw TTRPCError.invalidArgument(
                    "ttrpc: error unmarshalling payload of \(service)/\(method) as \(Request.protoMessageName): \(error)"
                )
            }
            let response = try await handler(request, context)
            return try response.serializedBytes()
        }
    }

    /// Adds every method of `other`, replacing same-named ones.
    public mutating func merge(_ other: TTRPCServiceRegistry) {
        for (service, methods) in other.table {
            table[service, default: [:]].merge(methods) { _, new in new }
        }
    }

    /// Registered method names by service, sorted.
    public var methods: [String: [String]] {
        table.mapValues { $0.keys.sorted() }
    }

    /// The handler for a call, or the `Unimplemented` error ttrpc answers ("service X" / "method Y").
    public func handler(service: String, method: String) -> Result<Handler, TTRPCError> {
        guard let methods = table[service] else { return .failure(.unimplemented("service \(service)")) }
        guard let handler = methods[method] else { return .failure(.unimplemented("method \(method)")) }
        return .success(handler)
    }
}
