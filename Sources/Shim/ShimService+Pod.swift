import GVisorConfig
import OCI

/// CRI pods (issue 6): the spec gets the Go shim's pod rewrites before `runsc create` (see ``PodSpecRewrite``);
/// everything else in it is kept as containerd wrote it.
extension ShimService {
    func rewritePodSpec(_ spec: inout BundleSpec, id: ContainerID, config: RunscShimConfig) throws(ShimError) {
        let rewrite = PodSpecRewrite(
            kubeletPodsDirectory: settings.kubeletPodsDirectory,
            runscSystemdCgroup: config.runscConfig["systemd-cgroup"].map {
                ["1", "t", "T", "TRUE", "true", "True"].contains($0)
            } ?? false)
        var document = spec.document
        let changes: PodSpecRewrite.Changes
        do { changes = try rewrite.apply(to: &document) } catch {
            if let key = error.refusedAnnotation {
                log.error("pod spec: refusing the container", [("id", id.rawValue), ("annotation", key)])
            }
            throw .invalidArgument("\(spec.path): \(error)")
        }
        guard !changes.isEmpty else { return }
        spec.document = document
        for change in changes { log.info("pod spec: \(change)", [("id", id.rawValue)]) }
    }
}
