import SwiftProtobuf

/// A unary method's name and message types, so servers and clients cannot disagree on either.
public struct TTRPCMethod<Request: Message, Response: Message>: Hashable, Sendable, CustomStringConvertible {
    /// Fully qualified service name, e.g. `containerd.task.v2.Task`.
    public var service: String
    /// Bare method name, e.g. `State`.
    public var method: String

    public init(
        service: String, method: String, request: Request.Type = Request.self, response: Response.Type = Response.self
    ) {
        self.service = service
        self.method = method
    }

    public var description: String { "\(service)/\(method)" }
}

extension TTRPCServiceRegistry {
    /// Registers a typed handler for `method`.
    public mutating func register<Request, Response>(
        _ method: TTRPCMethod<Request, Response>,
        handler: @escaping @Sendable (_ request: Request, _ context: TTRPCRequestContext) async throws -> Response
    ) {
        register(service: method.service, method: method.method, handler: handler)
    }
}

extension TTRPCClient {
    /// Calls `method` with `request`.
    public func call<Request, Response>(
        _ method: TTRPCMethod<Request, Response>, _ request: Request, metadata: TTRPCMetadata = TTRPCMetadata(),
        timeout: Duration? = nil
    ) async throws(TTRPCError) -> Response {
        try await call(
            service: method.service, method: method.method, request: request, responseType: Response.self,
            metadata: metadata, timeout: timeout)
    }
}
