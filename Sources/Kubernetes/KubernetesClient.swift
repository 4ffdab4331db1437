import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix
import NIOSSL

/// ``KubernetesAPI`` over HTTPS to a real API server (AsyncHTTPClient): JSON bodies, `metav1.Status` errors,
/// the status subresource, merge patches and line-delimited watch streams with bookmarks.
public final class KubernetesClient: KubernetesAPI {
    public let config: KubeConfig
    private let http: HTTPClient
    /// For one request (not for watches, whose length the server bounds with `timeoutSeconds`).
    public let requestTimeout: TimeAmount
    /// How long the server keeps one watch open before the client re-watches from the last resourceVersion.
    public let watchTimeoutSeconds: Int

    public init(
        config: KubeConfig, requestTimeout: TimeAmount = .seconds(30), watchTimeoutSeconds: Int = 300
    ) throws(KubernetesClientError) {
        self.config = config
        self.requestTimeout = requestTimeout
        self.watchTimeoutSeconds = watchTimeoutSeconds
        var configuration = HTTPClient.Configuration()
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10))
        configuration.redirectConfiguration = .disallow
        if config.server.hasPrefix("https://") {
            configuration.tlsConfiguration = try Self.tlsConfiguration(config)
        }
        http = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }

    /// Closes the connection pool; call once when done.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    static func tlsConfiguration(_ config: KubeConfig) throws(KubernetesClientError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if let ca = config.certificateAuthorityPEM {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(ca))
            }
            if config.insecureSkipTLSVerify { tls.certificateVerification = .none }
            if let certificate = config.clientCertificatePEM, let key = config.clientKeyPEM {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(certificate).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
            }
        } catch {
            throw KubernetesClientError("kubeconfig TLS material for \(config.server): \(error)")
        }
        return tls
    }

    // MARK: KubernetesAPI

    public func get<R: KubernetesResource>(_ type: R.Type, namespace: String?, name: String) async throws -> R {
        try await send(.GET, R.resourceType.objectPath(namespace: namespace, name: name)).decode(as: R.self)
    }

    public func list<R: KubernetesResource>(
        _ type: R.Type, namespace: String?, labelSelector: [String: String]
    ) async throws -> ResourceList<R> {
        let list = try await send(
            .GET, R.resourceType.collectionPath(namespace: namespace), query: Self.selectorQuery(labelSelector))
        guard case .array(let items) = list["items"] ?? .array([]) else {
            throw KubernetesClientError("list \(R.resourceType): items is not an array")
        }
        return ResourceList(
            items: try items.map { try $0.decode(as: R.self) },
            resourceVersion: list.value(at: "metadata.resourceVersion")?.stringValue ?? "")
    }

    public func create<R: KubernetesResource>(_ object: R) async throws -> R {
        try await send(
            .POST, R.resourceType.collectionPath(namespace: object.namespace), body: JSONValue(encoding: object)
        ).decode(as: R.self)
    }

    public func update<R: KubernetesResource>(_ object: R) async throws -> R {
        try await send(
            .PUT, R.resourceType.objectPath(namespace: object.namespace, name: object.name),
            body: JSONValue(encoding: object)
        ).decode(as: R.self)
    }

    public func updateStatus<R: KubernetesResource>(_ object: R) async throws -> R {
        try await send(
            .PUT, R.resourceType.objectPath(namespace: object.namespace, name: object.name) + "/status",
            body: JSONValue(encoding: object)
        ).decode(as: R.self)
    }

    public func patch<R: KubernetesResource>(
        _ type: R.Type, namespace: String?, name: String, mergePatch: JSONValue
    ) async throws -> R {
        try await send(
            .PATCH, R.resourceType.objectPath(namespace: namespace, name: name), body: mergePatch,
            contentType: "application/merge-patch+json"
        ).decode(as: R.self)
    }

    public func patchStatus<R: KubernetesResource>(
        _ type: R.Type, namespace: String?, name: String, mergePatch: JSONValue
    ) async throws -> R {
        try await send(
            .PATCH, R.resourceType.objectPath(namespace: namespace, name: name) + "/status", body: mergePatch,
            contentType: "application/merge-patch+json"
        ).decode(as: R.self)
    }

    public func delete<R: KubernetesResource>(_ type: R.Type, namespace: String?, name: String) async throws {
        _ = try await send(.DELETE, R.resourceType.objectPath(namespace: namespace, name: name))
    }

    public func watch<R: KubernetesResource>(
        _ type: R.Type, namespace: String?, labelSelector: [String: String], resourceVersion: String
    ) -> AsyncThrowingStream<WatchEvent<R>, any Error> {
        let query =
            Self.selectorQuery(labelSelector) + [
                ("watch", "1"), ("allowWatchBookmarks", "true"), ("resourceVersion", resourceVersion),
                ("timeoutSeconds", String(watchTimeoutSeconds)),
            ]
        let path = R.resourceType.collectionPath(namespace: namespace)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let response = try await self.execute(
                        .GET, path, query: query, body: nil, contentType: nil,
                        deadline: .now() + .seconds(Int64(self.watchTimeoutSeconds) + 30))
                    guard response.status == .ok else {
                        let body = try await response.body.collect(upTo: 1 << 20)
                        throw Self.apiError(response.status, body)
                    }
                    var lines = WatchLineSplitter()
                    for try await chunk in response.body {
                        for line in lines.append(chunk) {
                            if let event = try Self.watchEvent(R.self, line) { continuation.yield(event) }
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    // MARK: Wire

    static func watchEvent<R: KubernetesResource>(_ type: R.Type, _ line: [UInt8]) throws -> WatchEvent<R>? {
        let event = try JSONValue(parsing: Data(line))
        let object = event["object"] ?? .null
        switch event["type"]?.stringValue {
        case "ADDED": return .added(try object.decode(as: R.self))
        case "MODIFIED": return .modified(try object.decode(as: R.self))
        case "DELETED": return .deleted(try object.decode(as: R.self))
        case "BOOKMARK":
            return .bookmark(resourceVersion: object.value(at: "metadata.resourceVersion")?.stringValue ?? "")
        case "ERROR": throw KubernetesError(code: 500, status: object)
        default: throw KubernetesClientError("watch \(R.resourceType): unknown event type in \(event)")
        }
    }

    private static func selectorQuery(_ selector: [String: String]) -> [(String, String)] {
        guard !selector.isEmpty else { return [] }
        return [
            (
                "labelSelector",
                selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            )
        ]
    }

    private func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil,
        contentType: String = "application/json"
    ) async throws -> JSONValue {
        let response = try await execute(
            method, path, query: query, body: body, contentType: contentType, deadline: .now() + requestTimeout)
        let bytes = try await response.body.collect(upTo: 64 << 20)
        guard (200..<300).contains(Int(response.status.code)) else { throw Self.apiError(response.status, bytes) }
        do {
            return try JSONValue(parsing: Data(buffer: bytes))
        } catch {
            throw KubernetesClientError("\(method) \(path): the answer is not JSON: \(error)")
        }
    }

    private func execute(
        _ method: HTTPMethod, _ path: String, query: [(String, String)], body: JSONValue?, contentType: String?,
        deadline: NIODeadline
    ) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: config.server + path + Self.queryString(query))
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "gardener-extension-runtime-gvisor")
        if let token = config.currentToken(), !token.isEmpty {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType ?? "application/json")
            request.body = .bytes(ByteBuffer(bytes: try body.jsonData()))
        }
        do {
            return try await http.execute(request, deadline: deadline)
        } catch {
            throw KubernetesClientError("\(method) \(config.server)\(path): \(error)")
        }
    }

    private static func queryString(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+,/?")
        return "?"
            + query.map { key, value in
                "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
            }.joined(separator: "&")
    }

    private static func apiError(_ status: HTTPResponseStatus, _ body: ByteBuffer) -> KubernetesError {
        let json = try? JSONValue(parsing: Data(buffer: body))
        var error = KubernetesError(code: Int(status.code), status: json)
        if json == nil {
            error.reason = status.reasonPhrase
            error.message = String(buffer: body)
        }
        return error
    }
}

/// Splits a watch body into lines (one JSON event each), across chunk boundaries.
struct WatchLineSplitter {
    private var pending: [UInt8] = []

    mutating func append(_ chunk: ByteBuffer) -> [[UInt8]] {
        pending += chunk.readableBytesView
        var lines: [[UInt8]] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            let line = Array(pending[..<newline])
            pending.removeSubrange(...newline)
            if !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { lines.append(line) }
        }
        return lines
    }
}
