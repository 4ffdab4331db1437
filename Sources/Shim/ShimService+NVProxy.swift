import GVisorConfig
import NVProxy
import OCI
import Runsc
import Synchronization

/// nvproxy at Create (issue 9): with `nvproxy = true` in `[runsc_config]`, a container that asks for GPUs gets
/// `config.json` rewritten to the device nodes gVisor can pass through, after checking that runsc has nvproxy
/// and supports the host's driver; a GPU-less container is left as it is. Failing here, with the reason, beats
/// the sandbox dying later with runsc's `waiting for sandbox to start: EOF`.
extension ShimService {
    /// The configuration runsc should run with for this container: `config` itself, or without the `nvproxy*`
    /// flags when runsc has no nvproxy and the container asks for no GPU (such a runsc rejects the flags on every
    /// command, `nvproxy = false` included). Sets a GPU container's devices in `spec`; throws an `NVProxyError`
    /// naming the problem.
    ///
    /// `host` and `executor` are for tests: the real `/dev`, `/proc`, `/sys`, and runsc children reaped by the
    /// shim's reaper.
    func prepareNVProxy(
        _ config: RunscShimConfig, spec: inout BundleSpec, id: ContainerID, host: NVProxyHost = NVProxyHost(),
        executor: (any RunscExecutor)? = nil
    ) async throws(NVProxyError) -> RunscShimConfig {
        let settings = NVProxySettings(
            runscConfig: config.runscConfig,
            policy: GPURequestPolicy(
                acceptEnvironmentWhenUnprivileged: config.acceptNVIDIAEnvironmentWhenUnprivileged,
                acceptVolumeMounts: config.acceptNVIDIAVolumeMounts))
        guard settings.enabled || settings.hasNVProxyFlags else { return config }
        let runsc = config.binaryName
        let executor = executor ?? ProcessExecutor(waiter: ReaperWaiter(reaper: reaper))
        let plan: NVProxyPlan
        do {
            plan = try await NVProxyPlan.make(
                spec: spec.document, file: spec.path, settings: settings, runsc: runsc,
                support: { () async throws(NVProxyError) -> NVProxySupport in
                    try await NVProxySupportCache.shared.support(runsc: runsc, executor: executor)
                },
                inventory: { GPUInventory.discover(on: host) })
        } catch {
            log.error("nvproxy: refusing the container", [("id", id.rawValue), ("error", error.description)])
            throw error
        }
        for note in plan.notes { log.warning("nvproxy: \(note)", [("id", id.rawValue)]) }
        if let rewrite = plan.rewrite {
            spec.document = rewrite.spec
            log.info(
                "nvproxy: GPU devices set in config.json",
                [
                    ("id", id.rawValue), ("request", plan.request?.sources.joined(separator: ", ") ?? ""),
                    ("devices", rewrite.devices.map(\.containerPath).joined(separator: ",")),
                ])
        }
        guard !plan.keepsNVProxyFlags else { return config }
        var adjusted = config
        adjusted.runscConfig = config.runscConfig.filter { !NVProxySettings.isNVProxyFlag($0.key) }
        return adjusted
    }
}

/// runsc's nvproxy support per binary, asked once per shim: every container of a pod would otherwise run
/// `runsc nvproxy list-supported-drivers` again. Failures are not kept, so a fixed runsc is seen at once.
final class NVProxySupportCache: Sendable {
    static let shared = NVProxySupportCache()

    private let known = Mutex<[String: NVProxySupport]>([:])

    func support(runsc: String, executor: any RunscExecutor) async throws(NVProxyError) -> NVProxySupport {
        if let cached = known.withLock({ $0[runsc] }) { return cached }
        let support = try await NVProxySupport.probe(runsc: runsc, executor: executor)
        known.withLock { $0[runsc] = support }
        return support
    }
}
