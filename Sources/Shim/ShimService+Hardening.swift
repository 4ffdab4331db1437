import GVisorConfig
import Glibc
import Hardening
import OCI

extension ShimService {
    /// The shim holds the capabilities runsc needs for runsc.toml's platform and network (FailedPrecondition naming
    /// each missing one), checked at Create before runsc sees the bundle, so a problem is a named error instead of a
    /// runsc failure inside the sandbox.
    func checkRunscCapabilities(_ config: RunscShimConfig) throws(ShimError) {
        let capabilities = try ShimError.wrapping(.internalError, "reading the shim's capabilities") {
            try ProcessCapabilities.current()
        }
        try ShimError.wrapping(.failedPrecondition, nil) {
            try RunscCapabilityNeeds(runscConfig: config.runscConfig).check(capabilities)
        }
    }

    /// The spec's part of Hardening, in memory:
    /// - every capability name in `process.capabilities` is known to libcap, and without runsc's `net-raw`
    ///   CAP_NET_RAW is removed from every set;
    /// - with `oci-seccomp`, `linux.seccomp` compiles with libseccomp (InvalidArgument naming the field and syscall).
    func hardenSpec(_ spec: inout BundleSpec, id: ContainerID, config: RunscShimConfig) throws(OCISpecError) {
        let flags = RunscFlags(config.runscConfig)
        var document = spec.document
        do throws(OCISpecError) {
            let stripped = try SpecCapabilities.enforce(in: &document, netRawEnabled: flags.isTrue("net-raw"))
            if !stripped.isEmpty {
                spec.document = document
                log.info(
                    "removed CAP_NET_RAW (runsc's net-raw is off)",
                    [("id", id.rawValue), ("sets", stripped.joined(separator: ","))])
            }
            if flags.isTrue("oci-seccomp"),
                let summary = try SeccompProfileValidator.validate(spec: spec.document.encoded())
            {
                log.debug(
                    "seccomp profile valid",
                    [
                        ("id", id.rawValue), ("default", summary.defaultAction), ("rules", "\(summary.ruleCount)"),
                        ("architectures", summary.architectures.joined(separator: ",")),
                    ])
            }
        } catch {
            var named = error
            named.file = spec.path
            throw named
        }
    }
}
