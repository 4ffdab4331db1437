import GVisorConfig
import OCI
import TTRPC

/// CRI pods (issue 6): `config.json` gets the Go shim's pod rewrites before `runsc create` (see
/// ``PodSpecRewrite``); everything else in the spec is kept as containerd wrote it.
extension ShimService {
    func preparePodSpec(bundle: String, id: ContainerID, config: RunscShimConfig) throws {
        let files = BundleFiles(directory: bundle)
        let file = files.path("config.json")
        guard let bytes = files.read("config.json") else { return }  // reported by the caller
        var spec: JSONValue
        do { spec = try JSONValue.decode(bytes, file: file) } catch {
            throw TTRPCError.invalidArgument("\(error)")
        }
        let changes: PodSpecRewrite.Changes
        let rewrite = PodSpecRewrite(
            kubeletPodsDirectory: settings.kubeletPodsDirectory,
            runscSystemdCgroup: config.runscConfig["systemd-cgroup"].map {
                ["1", "t", "T", "TRUE", "true", "True"].contains($0)
            } ?? false)
        do { changes = try rewrite.apply(to: &spec) } catch {
            if let key = error.refusedAnnotation {
                log.error("pod spec: refusing the container", [("id", id.rawValue), ("annotation", key)])
            }
            throw TTRPCError.invalidArgument("\(file): \(error)")
        }
        guard !changes.isEmpty else { return }
        do { try files.write("config.json", String(decoding: spec.encoded(), as: UTF8.self)) } catch {
            throw TTRPCError.internal("cannot rewrite \(file): \(error)")
        }
        for change in changes { log.info("pod spec: \(change)", [("id", id.rawValue)]) }
    }
}
