import GVisorConfig
import Glibc
import Hardening
import HostOS
import TTRPC

extension ShimService {
    /// Checks made at Create before runsc sees the bundle, so a problem is a named error instead of
    /// a runsc failure inside the sandbox:
    /// - the shim holds the capabilities runsc needs for runsc.toml's platform and network
    ///   (`failedPrecondition` naming each missing one);
    /// - every capability name in `process.capabilities` is known to libcap, and without runsc's
    ///   `net-raw` CAP_NET_RAW is removed from every set (config.json is rewritten);
    /// - with `oci-seccomp`, `linux.seccomp` compiles with libseccomp (`invalidArgument` naming
    ///   the field and syscall).
    func hardenBundle(id: ContainerID, bundle: String, config: RunscShimConfig) throws {
        let flags = RunscFlags(config.runscConfig)
        let capabilities: ProcessCapabilities
        do { capabilities = try ProcessCapabilities.current() } catch {
            throw TTRPCError.internal("reading the shim's capabilities: \(error)")
        }
        do { try RunscCapabilityNeeds(runscConfig: config.runscConfig).check(capabilities) } catch {
            throw TTRPCError.failedPrecondition("\(error)")
        }

        let path = "\(bundle)/config.json"
        // A missing or unreadable spec is reported by Create's own reading of it.
        guard let spec = try? HostFile.read(path) else { return }
        do {
            let result = try SpecCapabilities.enforce(spec: spec, netRawEnabled: flags.isTrue("net-raw"))
            if let rewritten = result.rewritten {
                try HostFile.writeAtomically(rewritten, to: path, mode: 0o644)
                log.info(
                    "removed CAP_NET_RAW (runsc's net-raw is off)",
                    [("id", id.rawValue), ("sets", result.strippedNetRawFrom.joined(separator: ","))])
            }
            if flags.isTrue("oci-seccomp"), let summary = try SeccompProfileValidator.validate(spec: spec) {
                log.debug(
                    "seccomp profile valid",
                    [
                        ("id", id.rawValue), ("default", summary.defaultAction), ("rules", "\(summary.ruleCount)"),
                        ("architectures", summary.architectures.joined(separator: ",")),
                    ])
            }
        } catch var error as OCISpecError {
            error.file = path
            throw TTRPCError.invalidArgument("\(error)")
        } catch {
            throw TTRPCError.internal("rewriting \(path): \(error)")
        }
    }
}
