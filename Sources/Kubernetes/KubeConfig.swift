import Foundation
import Yams

/// Where the API server is and how to authenticate: from a kubeconfig file (its current context, or a named one)
/// or from the pod's service account (in-cluster).
public struct KubeConfig: Sendable, Hashable {
    /// `https://host:port` (or `http://` for local stand-ins).
    public var server: String
    /// PEM of the CA bundle that signs the server's certificate; nil means the system trust store.
    public var certificateAuthorityPEM: [UInt8]?
    public var insecureSkipTLSVerify: Bool
    public var clientCertificatePEM: [UInt8]?
    public var clientKeyPEM: [UInt8]?
    public var bearerToken: String?
    /// Read on every request, because service-account tokens are rotated on disk.
    public var tokenFile: String?
    /// The context's namespace (or the pod's, in-cluster).
    public var namespace: String?

    public init(server: String) {
        self.server = server
        self.insecureSkipTLSVerify = false
    }

    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The pod's service account: `KUBERNETES_SERVICE_HOST`/`_PORT`, the mounted token, CA and namespace.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String = serviceAccountDirectory
    ) throws(KubernetesClientError) -> KubeConfig {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else {
            throw KubernetesClientError(
                "in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set "
                    + "(not running in a pod? pass --kubeconfig)")
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        var config = KubeConfig(server: "https://\(hostPart):\(port)")
        let tokenPath = "\(directory)/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubernetesClientError("in-cluster configuration: \(tokenPath): cannot read the service account token")
        }
        config.tokenFile = tokenPath
        config.certificateAuthorityPEM = try readFile("\(directory)/ca.crt", field: "in-cluster ca.crt")
        config.namespace = (try? String(contentsOfFile: "\(directory)/namespace", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return config
    }

    /// Loads a kubeconfig file; relative file references resolve against its directory.
    public static func load(path: String, context: String? = nil) throws(KubernetesClientError) -> KubeConfig {
        let bytes = try readFile(path, field: "kubeconfig")
        let directory = (path as NSString).deletingLastPathComponent
        return try parse(String(decoding: bytes, as: UTF8.self), directory: directory, context: context, source: path)
    }

    /// Parses kubeconfig YAML. Errors name the file and the field (`users[name=admin].user.client-key`).
    public static func parse(
        _ text: String, directory: String = ".", context contextName: String? = nil, source: String = "kubeconfig"
    ) throws(KubernetesClientError) -> KubeConfig {
        func fail(_ message: String) -> KubernetesClientError { KubernetesClientError("\(source): \(message)") }
        let root: [String: Any]
        do {
            guard let loaded = try Yams.load(yaml: text) as? [String: Any] else {
                throw fail("expected a mapping with clusters, contexts, users and current-context")
            }
            root = loaded
        } catch let error as KubernetesClientError {
            throw error
        } catch {
            throw fail("not valid YAML: \(error)")
        }
        func named(_ list: String, _ name: String, _ inner: String) throws(KubernetesClientError) -> [String: Any] {
            let entries = root[list] as? [[String: Any]] ?? []
            guard let entry = entries.first(where: { ($0["name"] as? String) == name }) else {
                throw fail("\(list): no entry named \"\(name)\"")
            }
            guard let body = entry[inner] as? [String: Any] else {
                throw fail("\(list)[name=\(name)].\(inner): missing; expected a mapping")
            }
            return body
        }
        guard let contextName = contextName ?? (root["current-context"] as? String), !contextName.isEmpty else {
            throw fail("current-context: missing; expected the name of an entry in contexts (or pass a context)")
        }
        let context = try named("contexts", contextName, "context")
        guard let clusterName = context["cluster"] as? String else {
            throw fail("contexts[name=\(contextName)].context.cluster: missing; expected a cluster name")
        }
        let cluster = try named("clusters", clusterName, "cluster")
        guard let server = cluster["server"] as? String, server.hasPrefix("https://") || server.hasPrefix("http://")
        else {
            throw fail("clusters[name=\(clusterName)].cluster.server: expected an https:// URL")
        }
        var config = KubeConfig(server: server.hasSuffix("/") ? String(server.dropLast()) : server)
        config.namespace = context["namespace"] as? String
        config.insecureSkipTLSVerify = cluster["insecure-skip-tls-verify"] as? Bool ?? false
        let clusterPath = "clusters[name=\(clusterName)].cluster"
        config.certificateAuthorityPEM = try material(
            cluster, "certificate-authority-data", "certificate-authority", clusterPath, directory, fail)

        if let userName = context["user"] as? String, !userName.isEmpty {
            let user = try named("users", userName, "user")
            let userPath = "users[name=\(userName)].user"
            config.clientCertificatePEM = try material(
                user, "client-certificate-data", "client-certificate", userPath, directory, fail)
            config.clientKeyPEM = try material(user, "client-key-data", "client-key", userPath, directory, fail)
            if (config.clientCertificatePEM == nil) != (config.clientKeyPEM == nil) {
                throw fail("\(userPath): client-certificate and client-key must be given together")
            }
            config.bearerToken = user["token"] as? String
            if let tokenFile = user["tokenFile"] as? String {
                config.tokenFile = tokenFile.hasPrefix("/") ? tokenFile : "\(directory)/\(tokenFile)"
            }
            if user["exec"] != nil || user["auth-provider"] != nil {
                throw fail(
                    "\(userPath): exec and auth-provider plugins are not supported; use a token or a client certificate"
                )
            }
        }
        return config
    }

    /// Inline base64 `<name>-data` or a file `<name>`.
    private static func material(
        _ map: [String: Any], _ dataKey: String, _ fileKey: String, _ path: String, _ directory: String,
        _ fail: (String) -> KubernetesClientError
    ) throws(KubernetesClientError) -> [UInt8]? {
        if let data = map[dataKey] as? String {
            guard let decoded = Data(base64Encoded: data.filter { !$0.isWhitespace }) else {
                throw fail("\(path).\(dataKey): not valid base64")
            }
            return Array(decoded)
        }
        if let file = map[fileKey] as? String {
            return try readFile(file.hasPrefix("/") ? file : "\(directory)/\(file)", field: "\(path).\(fileKey)")
        }
        return nil
    }

    static func readFile(_ path: String, field: String) throws(KubernetesClientError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KubernetesClientError("\(field): cannot read \(path)")
        }
        return Array(data)
    }

    /// The token to send now: the file's current content, else the fixed token.
    func currentToken() -> String? {
        if let tokenFile, let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return bearerToken
    }
}
