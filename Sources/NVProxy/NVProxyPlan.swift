import OCI

/// What `Create` must do about nvproxy for one container, decided before runsc sees the bundle.
public struct NVProxyPlan: Sendable, Hashable {
    /// The container's GPU request; nil when it asks for none (or nvproxy is off).
    public var request: GPURequest?
    /// The rewritten spec, set only for a GPU container; write it over `config.json`.
    public var rewrite: GPUSpecRewrite?
    /// Whether the `nvproxy*` flags of `[runsc_config]` may reach runsc. False only for a container that asks for
    /// no GPU when runsc has no nvproxy (Debian 12's runsc rejects `--nvproxy` on every command) or the node has no
    /// NVIDIA control device (runsc 20240729 then fails the sandbox at boot): a GPU-less container must keep
    /// working under an nvproxy configuration.
    public var keepsNVProxyFlags: Bool
    /// Log lines for the operator (left-out nodes, dropped flags, unchecked drivers).
    public var notes: [String]

    public init(
        request: GPURequest? = nil, rewrite: GPUSpecRewrite? = nil, keepsNVProxyFlags: Bool = true, notes: [String] = []
    ) {
        self.request = request
        self.rewrite = rewrite
        self.keepsNVProxyFlags = keepsNVProxyFlags
        self.notes = notes
    }

    /// Decides for the spec in `specBytes` (read from `file`).
    ///
    /// With nvproxy off the spec is not read; when `nvproxy*` keys are set anyway (`nvproxy = false`), runsc is
    /// asked whether it knows them. With it on, a GPU-less container is left untouched; a GPU
    /// container needs a runsc with nvproxy, a driver runsc supports, `nvidiactl`, `nvidia-uvm` and the
    /// requested GPUs, else this throws the error Create should fail with. `support` and `inventory` are asked
    /// only when needed (runsc is probed for every container while nvproxy is on; the host only for GPU ones).
    public static func make(
        specBytes: [UInt8], file: String, settings: NVProxySettings, runsc: String,
        support: () async throws(NVProxyError) -> NVProxySupport, inventory: () -> GPUInventory
    ) async throws(NVProxyError) -> NVProxyPlan {
        let spec: JSONValue
        if settings.enabled {
            do { spec = try JSONValue.decode(specBytes, file: file) } catch {
                throw NVProxyError(.invalidSpec(file: error.file, reason: error.reason))
            }
        } else {
            spec = .null
        }
        return try await make(
            spec: spec, file: file, settings: settings, runsc: runsc, support: support, inventory: inventory)
    }

    /// Decides for a spec already decoded (the shim decodes `config.json` once per Create); `file` names it in
    /// errors. Not read with nvproxy off.
    public static func make(
        spec: JSONValue, file: String, settings: NVProxySettings, runsc: String,
        support: () async throws(NVProxyError) -> NVProxySupport, inventory: () -> GPUInventory
    ) async throws(NVProxyError) -> NVProxyPlan {
        guard settings.enabled else {
            guard settings.hasNVProxyFlags else { return NVProxyPlan() }
            return await flagsOnly(runsc: runsc, support: support)
        }
        let detection = try GPURequest.detect(in: spec, file: file, policy: settings.policy)
        let refusals = detection.refused.map(\.description)
        guard let request = detection.request else {
            var plan = await flagsOnly(runsc: runsc, support: support)
            // runsc with nvproxy (20240729) opens /dev/nvidiactl when the sandbox boots, so on a node without the
            // NVIDIA driver `nvproxy = true` would fail every GPU-less container; GPU ones fail here anyway.
            if plan.keepsNVProxyFlags, (try? inventory().requiredDevices()) == nil {
                plan = NVProxyPlan(
                    keepsNVProxyFlags: false,
                    notes: [
                        "this node has no usable NVIDIA control device; the nvproxy flags of [runsc_config] are not passed for this container, which asks for no GPU"
                    ])
            }
            plan.notes = refusals + plan.notes
            return plan
        }

        let support = try await support()
        guard support.hasNVProxy else { throw NVProxyError(.runscLacksNVProxy(runsc: runsc)) }
        let host = inventory()
        guard let driver = host.driverVersion else {
            throw NVProxyError(
                .noDriver(
                    reason:
                        "no driver version in \(host.host.procRoot)/driver/nvidia/version or \(host.host.sysRoot)/module/nvidia/version (is the nvidia module loaded?)"
                        + (host.problems.isEmpty ? "" : "; " + host.problems.joined(separator: "; "))))
        }
        let required = try host.requiredDevices()
        var notes = refusals
        if settings.skipsDriverCheck {
            notes.append("NVIDIA driver \(driver) not checked: [runsc_config] pins or allows the driver")
        } else {
            try support.check(driver: driver, runsc: runsc)
            if case .unknown = support.verdict(for: driver) {
                notes.append(
                    "\(runsc) cannot list its supported drivers; NVIDIA driver \(driver) is checked by runsc itself")
            }
        }
        if request.all, host.gpus.isEmpty {
            throw NVProxyError(
                .badRequest(
                    source: request.sources.joined(separator: ", "),
                    reason: "asks for all GPUs but \(host.host.deviceRoot) has no nvidiaN device"))
        }
        let gpus = try request.resolve(against: host)
        let rewrite = try GPUSpecRewrite(spec: spec, devices: required + gpus.map(\.device), file: file)
        for path in Set(rewrite.leftOut + request.unsupportedDevices).sorted() {
            notes.append(
                "\(path) left out: gVisor's nvproxy exposes only /dev/nvidiactl, /dev/nvidia-uvm and /dev/nvidiaN")
        }
        return NVProxyPlan(request: request, rewrite: rewrite, keepsNVProxyFlags: true, notes: notes)
    }

    /// A container left untouched: only whether the `nvproxy*` flags may reach runsc depends on runsc.
    private static func flagsOnly(
        runsc: String, support: () async throws(NVProxyError) -> NVProxySupport
    ) async -> NVProxyPlan {
        do {
            guard try await support().hasNVProxy else {
                return NVProxyPlan(
                    keepsNVProxyFlags: false,
                    notes: [
                        "\(runsc) has no nvproxy; the nvproxy flags of [runsc_config] are not passed for this container, which asks for no GPU"
                    ])
            }
            return NVProxyPlan()
        } catch {
            return NVProxyPlan(notes: [
                "cannot tell whether \(runsc) has nvproxy (\(error)); flags passed as configured"
            ])
        }
    }
}
