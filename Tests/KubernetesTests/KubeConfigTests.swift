import Foundation
import Kubernetes
import Testing

@Suite(.timeLimit(.minutes(2))) struct KubeConfigTests {
    let pem = Array("-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n".utf8)

    func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kubeconfig-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func currentContextWithInlineDataAndToken() throws {
        let b64 = Data(pem).base64EncodedString()
        let yaml = """
            apiVersion: v1
            kind: Config
            current-context: seed
            contexts:
            - name: other
              context: {cluster: nope, user: nope}
            - name: seed
              context:
                cluster: seed-cluster
                user: admin
                namespace: garden
            clusters:
            - name: seed-cluster
              cluster:
                server: https://api.seed.example:6443/
                certificate-authority-data: \(b64)
            users:
            - name: admin
              user:
                token: secret-token
            """
        let config = try KubeConfig.parse(yaml)
        #expect(config.server == "https://api.seed.example:6443")
        #expect(config.certificateAuthorityPEM == pem)
        #expect(config.bearerToken == "secret-token")
        #expect(config.namespace == "garden")
        #expect(!config.insecureSkipTLSVerify)
    }

    @Test func clientCertificateFilesResolveRelativeToTheKubeconfig() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(pem).write(to: URL(fileURLWithPath: "\(directory)/client.crt"))
        try Data("key".utf8).write(to: URL(fileURLWithPath: "\(directory)/client.key"))
        let yaml = """
            current-context: c
            contexts: [{name: c, context: {cluster: k, user: u}}]
            clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}}]
            users: [{name: u, user: {client-certificate: client.crt, client-key: client.key}}]
            """
        try yaml.write(toFile: "\(directory)/kubeconfig", atomically: true, encoding: .utf8)
        let config = try KubeConfig.load(path: "\(directory)/kubeconfig")
        #expect(config.clientCertificatePEM == pem)
        #expect(config.clientKeyPEM == Array("key".utf8))
        #expect(config.insecureSkipTLSVerify)
        // A named context overrides current-context, and a missing one is named in the error.
        #expect(throws: KubernetesClientError.self) {
            try KubeConfig.load(path: "\(directory)/kubeconfig", context: "x")
        }
    }

    @Test(arguments: [
        ("contexts: []\n", "current-context: missing"),
        (
            "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\nclusters: []\n",
            "clusters: no entry named \"k\""
        ),
        (
            "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\nclusters: [{name: k, cluster: {server: ftp://x}}]\n",
            "clusters[name=k].cluster.server: expected an https:// URL"
        ),
        (
            "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: https://x}}]\nusers: [{name: u, user: {client-certificate-data: '!!'}}]\n",
            "users[name=u].user.client-certificate-data: not valid base64"
        ),
        (
            "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: https://x}}]\nusers: [{name: u, user: {exec: {command: gcloud}}}]\n",
            "exec and auth-provider plugins are not supported"
        ),
        ("[a, b]\n", "expected a mapping"),
    ])
    func errorsNameTheField(yaml: String, expected: String) {
        do {
            _ = try KubeConfig.parse(yaml, source: "dev/kubeconfig")
            Issue.record("expected an error containing \(expected)")
        } catch {
            #expect(error.description.hasPrefix("dev/kubeconfig: "))
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }

    @Test func inClusterReadsTheServiceAccount() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "tok\n".write(toFile: "\(directory)/token", atomically: true, encoding: .utf8)
        try Data(pem).write(to: URL(fileURLWithPath: "\(directory)/ca.crt"))
        try "garden\n".write(toFile: "\(directory)/namespace", atomically: true, encoding: .utf8)
        let config = try KubeConfig.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"], directory: directory
        )
        #expect(config.server == "https://10.0.0.1:443")
        #expect(config.tokenFile == "\(directory)/token")
        #expect(config.certificateAuthorityPEM == pem)
        #expect(config.namespace == "garden")
        let v6 = try KubeConfig.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"], directory: directory)
        #expect(v6.server == "https://[fd00::1]:443")
        #expect(throws: KubernetesClientError.self) { try KubeConfig.inCluster(environment: [:], directory: directory) }
    }

    @Test func badTLSMaterialIsNamed() {
        var config = KubeConfig(server: "https://127.0.0.1:1")
        config.certificateAuthorityPEM = Array("not a pem".utf8)
        do {
            _ = try KubernetesClient(config: config)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("kubeconfig TLS material"))
        }
    }
}
