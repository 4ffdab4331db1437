import Foundation
import Kubernetes
import NIOSSL
import Testing

/// HTTPS with the kubeconfig's CA and a client certificate (mutual TLS), against the stand-in over TLS.
@Suite(.timeLimit(.minutes(2))) struct TLSTests {
    static func serverTLS() throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(TLSFixtures.serverCertificate.utf8)).map {
                .certificate($0)
            },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(TLSFixtures.serverKey.utf8), format: .pem)))
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(TLSFixtures.caCertificate.utf8)))
        tls.certificateVerification = .noHostnameVerification  // requires a client certificate from the CA
        return tls
    }

    func kubeconfig(server: String, ca: String, clientCertificate: Bool) throws -> KubeConfig {
        func b64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
        let user =
            clientCertificate
            ? "{client-certificate-data: \(b64(TLSFixtures.clientCertificate)), client-key-data: \(b64(TLSFixtures.clientKey)), token: t}"
            : "{token: t}"
        return try KubeConfig.parse(
            """
            current-context: c
            contexts: [{name: c, context: {cluster: k, user: u}}]
            clusters: [{name: k, cluster: {server: "\(server)", certificate-authority-data: \(b64(ca))}}]
            users: [{name: u, user: \(user)}]
            """)
    }

    @Test func mutualTLSWithTheKubeconfigsMaterial() async throws {
        let server = try await FakeAPIServer(token: "t", tls: Self.serverTLS())
        let client = try KubernetesClient(
            config: kubeconfig(server: server.url, ca: TLSFixtures.caCertificate, clientCertificate: true))
        _ = try await client.create(ClientTests.runtime("tls"))
        #expect(try await client.list(ContainerRuntime.self, namespace: nil).items.map(\.name) == ["tls"])
        try await client.shutdown()
        await server.close()
    }

    @Test func noClientCertificateOrAnUnknownServerCAFails() async throws {
        let server = try await FakeAPIServer(token: "t", tls: Self.serverTLS())
        for config in [
            try kubeconfig(server: server.url, ca: TLSFixtures.caCertificate, clientCertificate: false),
            try kubeconfig(server: server.url, ca: TLSFixtures.otherCACertificate, clientCertificate: true),
        ] {
            let client = try KubernetesClient(config: config, requestTimeout: .seconds(3))
            await #expect(throws: KubernetesClientError.self) {
                _ = try await client.list(ContainerRuntime.self, namespace: nil)
            }
            try await client.shutdown()
        }
        await server.close()
    }
}
