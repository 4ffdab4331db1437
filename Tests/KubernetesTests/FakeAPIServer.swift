import Foundation
import Kubernetes
import KubernetesTesting
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A stand-in for kube-apiserver (none can be installed on these machines): the REST paths of the resources the
/// controller uses, served over HTTP from an ``ObjectStore``, so resourceVersions, 409 conflicts, the status
/// subresource, merge patches, label selectors, watch streams with bookmarks and 410 Gone behave as the API
/// server's do. It also checks the bearer token and can inject conflicts and count requests.
final class FakeAPIServer: Sendable {
    let store: ObjectStore
    let token: String?
    private let server: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let control = Control()

    actor Control {
        var conflictsToInject = 0
        var requests: [String] = []

        func record(_ request: String) { requests.append(request) }
        func injectConflicts(_ count: Int) { conflictsToInject = count }
        func takeConflict() -> Bool {
            guard conflictsToInject > 0 else { return false }
            conflictsToInject -= 1
            return true
        }
    }

    static let resourceTypes: [ResourceType] = [
        ContainerRuntime.resourceType, Cluster.resourceType, ManagedResource.resourceType, Secret.resourceType,
        Lease.resourceType, Event.resourceType,
    ]

    let tls: Bool

    /// With `tls`, it serves HTTPS (and a TLS configuration that verifies clients requires a client certificate).
    init(store: ObjectStore = ObjectStore(), token: String? = "test-token", tls: TLSConfiguration? = nil) async throws {
        self.store = store
        self.token = token
        self.tls = tls != nil
        let context = try tls.map { try NIOSSLContext(configuration: $0) }
        server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        let server = server
        Task { [self] in
            try? await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        group.addTask { try? await self.serve(connection) }
                    }
                }
            }
        }
    }

    var url: String { "\(tls ? "https" : "http")://127.0.0.1:\(server.channel.localAddress!.port!)" }

    var config: KubeConfig {
        var config = KubeConfig(server: url)
        config.bearerToken = token
        return config
    }

    func close() async {
        try? await server.channel.close()
    }

    func injectConflicts(_ count: Int) async { await control.injectConflicts(count) }
    var requests: [String] { get async { await control.requests } }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body.clear()
                case .body(var chunk):
                    body.writeBuffer(&chunk)
                case .end:
                    guard let head else { continue }
                    try await respond(head, body, outbound)
                }
            }
        }
    }

    private func respond(
        _ head: HTTPRequestHead, _ body: ByteBuffer, _ out: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        let components = URLComponents(string: head.uri)
        let path = components?.path ?? head.uri
        var query: [String: String] = [:]
        for item in components?.queryItems ?? [] { query[item.name] = item.value ?? "" }
        await control.record("\(head.method) \(path)\(query["watch"] != nil ? "?watch" : "")")
        if let token, head.headers["Authorization"].first != "Bearer \(token)" {
            return try await send(
                out, 401, KubernetesError(code: 401, reason: "Unauthorized", message: "Unauthorized").status)
        }
        guard let route = Self.route(path) else {
            return try await send(
                out, 404, KubernetesError(code: 404, reason: "NotFound", message: "no route \(path)").status)
        }
        let selector = Self.selector(query["labelSelector"])
        do {
            let json: () throws -> JSONValue = {
                try JSONValue(parsing: Data(buffer: body))
            }
            switch (head.method, route.name, route.status) {
            case (.GET, nil, _) where query["watch"] == "1" || query["watch"] == "true":
                try await watch(route, query, selector, out)
            case (.GET, nil, _):
                let list = await store.list(route.type, namespace: route.namespace, labelSelector: selector)
                try await send(
                    out, 200,
                    [
                        "apiVersion": .string(route.type.apiVersion), "kind": .string(route.type.kind + "List"),
                        "metadata": ["resourceVersion": .string(list.resourceVersion)], "items": .array(list.items),
                    ])
            case (.GET, let name?, _):
                try await send(out, 200, try await store.get(route.type, namespace: route.namespace, name: name))
            case (.POST, nil, false):
                try await send(out, 201, try await store.create(route.type, namespace: route.namespace, object: json()))
            case (.PUT, let name?, let status):
                if await control.takeConflict() { throw KubernetesError.conflict(route.type, name) }
                var object = try json()
                guard object.value(at: "metadata.name")?.stringValue == name else {
                    throw KubernetesError.invalid("metadata.name: does not match the URL")
                }
                if status, !route.type.hasStatusSubresource {
                    throw KubernetesError.notFound(route.type, name + "/status")
                }
                object["metadata"]?["namespace"] = route.namespace.map { .string($0) }
                try await send(
                    out, 200,
                    try await store.update(route.type, namespace: route.namespace, object: object, status: status))
            case (.PATCH, let name?, let status):
                guard head.headers["Content-Type"].first == "application/merge-patch+json" else {
                    throw KubernetesError(code: 415, reason: "UnsupportedMediaType", message: "only merge patches here")
                }
                try await send(
                    out, 200,
                    try await store.patch(
                        route.type, namespace: route.namespace, name: name, mergePatch: json(), status: status))
            case (.DELETE, let name?, false):
                try await send(out, 200, try await store.delete(route.type, namespace: route.namespace, name: name))
            default:
                throw KubernetesError(code: 405, reason: "MethodNotAllowed", message: "\(head.method) \(path)")
            }
        } catch let error as KubernetesError {
            try await send(out, error.code, error.status)
        } catch {
            try await send(out, 400, KubernetesError(code: 400, reason: "BadRequest", message: "\(error)").status)
        }
    }

    private func watch(
        _ route: Route, _ query: [String: String], _ selector: [String: String],
        _ out: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        let changes = await store.watch(
            route.type, namespace: route.namespace, labelSelector: selector,
            resourceVersion: query["resourceVersion"] ?? "")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Transfer-Encoding", value: "chunked")
        try await out.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
        let timeout = Double(query["timeoutSeconds"] ?? "") ?? 3600
        let deadline = Date().addingTimeInterval(timeout)
        if query["allowWatchBookmarks"] == "true" {
            let version = await store.resourceVersion
            try await line(
                out,
                [
                    "type": "BOOKMARK",
                    "object": ["kind": .string(route.type.kind), "metadata": ["resourceVersion": .string(version)]],
                ])
        }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await change in changes {
                        try await self.line(out, ["type": .string(change.type.rawValue), "object": change.object])
                    }
                }
                group.addTask { try await Task.sleep(for: .seconds(max(0, deadline.timeIntervalSinceNow))) }
                try await group.next()
                group.cancelAll()
            }
        } catch let error as KubernetesError {
            try await line(out, ["type": "ERROR", "object": error.status])
        }
        try await out.write(.end(nil))
    }

    private func line(_ out: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, _ value: JSONValue) async throws {
        var buffer = ByteBuffer(bytes: try value.jsonData())
        buffer.writeString("\n")
        try await out.write(.body(.byteBuffer(buffer)))
    }

    private func send(_ out: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, _ code: Int, _ body: JSONValue)
        async throws
    {
        let bytes = try body.jsonData()
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(bytes.count))
        try await out.write(
            .head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: code), headers: headers)))
        try await out.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
        try await out.write(.end(nil))
    }

    struct Route {
        var type: ResourceType
        var namespace: String?
        var name: String?
        var status: Bool
    }

    /// `/api/v1/...` and `/apis/<group>/<version>/...`, namespaced or not, collection or object, `/status`.
    static func route(_ path: String) -> Route? {
        var parts = path.split(separator: "/").map(String.init)
        let group: String
        let version: String
        if parts.first == "api", parts.count >= 2 {
            group = ""
            version = parts[1]
            parts.removeFirst(2)
        } else if parts.first == "apis", parts.count >= 3 {
            group = parts[1]
            version = parts[2]
            parts.removeFirst(3)
        } else {
            return nil
        }
        var namespace: String?
        if parts.first == "namespaces", parts.count >= 3 {
            namespace = parts[1]
            parts.removeFirst(2)
        }
        guard let plural = parts.first,
            let type = resourceTypes.first(where: { $0.group == group && $0.version == version && $0.plural == plural })
        else { return nil }
        if namespace != nil, !type.namespaced { return nil }
        let name = parts.count >= 2 ? parts[1] : nil
        let status = parts.count == 3 && parts[2] == "status"
        guard parts.count <= 2 || status else { return nil }
        return Route(type: type, namespace: namespace, name: name, status: status)
    }

    static func selector(_ text: String?) -> [String: String] {
        var selector: [String: String] = [:]
        for term in (text ?? "").split(separator: ",") {
            let pair = term.split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { selector[pair[0]] = pair[1] }
        }
        return selector
    }
}
