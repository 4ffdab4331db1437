import Foundation
import GVisorConfig
import GVisorConfigYAML
import Kubernetes

/// What `gardener-extension-runtime-gvisor render` prints: the shoot objects a ContainerRuntime would produce, for
/// review and for schema validation (`make validate-manifests`), without a cluster.
public enum RenderCommand {
    public static func manifests(
        pool: String, binaryPath: String, providerConfig: String?, poolSelector: [String: String], image: String
    ) throws -> String {
        let runtime = ContainerRuntime(
            metadata: ObjectMeta(name: "gvisor-\(pool)", namespace: "shoot"),
            spec: ContainerRuntime.Spec(
                type: Names.containerRuntimeType,
                providerConfig: try providerConfig.map { text -> JSONValue in
                    let configuration = try GVisorConfiguration(decoding: text)
                    return try JSONValue(parsing: Data(configuration.json().utf8))
                },
                binaryPath: binaryPath,
                workerPool: ContainerRuntime.WorkerPool(name: pool, selector: LabelSelector(matchLabels: poolSelector)))
        )
        let (flags, ignored, _) = try Actuator.validate(runtime)
        if !ignored.isEmpty {
            throw ControllerError("providerConfig: \(FlagValidationError(findings: ignored))")
        }
        let installation = Rendering.Installation(
            pool: pool, binaryPath: binaryPath, poolSelector: poolSelector,
            configuration: Rendering.installerConfiguration(flags), image: image)
        return Manifest.yaml(Rendering.sharedObjects() + Rendering.installationObjects(installation))
    }
}
