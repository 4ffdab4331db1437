/// The nvproxy part of runsc.toml's `[runsc_config]` (values already flag text, as `RunscShimConfig` holds them).
public struct NVProxySettings: Sendable, Hashable {
    /// `nvproxy` is true.
    public var enabled: Bool
    /// The operator took over the driver check (`nvproxy-allow-unsupported-driver = true` or a pinned
    /// `nvproxy-driver-version`), so Create does not refuse drivers missing from runsc's list.
    public var skipsDriverCheck: Bool
    /// Some `nvproxy*` key is set at all (`nvproxy = false` included): runsc must then know the flags.
    public var hasNVProxyFlags: Bool
    /// Which GPU requests count (runsc.toml's toolkit-named keys, not `[runsc_config]`).
    public var policy: GPURequestPolicy

    public init(
        enabled: Bool, skipsDriverCheck: Bool = false, hasNVProxyFlags: Bool? = nil,
        policy: GPURequestPolicy = GPURequestPolicy()
    ) {
        self.enabled = enabled
        self.skipsDriverCheck = skipsDriverCheck
        self.hasNVProxyFlags = hasNVProxyFlags ?? enabled
        self.policy = policy
    }

    public init(runscConfig: [String: String], policy: GPURequestPolicy = GPURequestPolicy()) {
        self.policy = policy
        enabled = runscConfig["nvproxy"].map(Self.isTrue) ?? false
        skipsDriverCheck =
            (runscConfig["nvproxy-allow-unsupported-driver"].map(Self.isTrue) ?? false)
            || !(runscConfig["nvproxy-driver-version"] ?? "").isEmpty
        hasNVProxyFlags = runscConfig.keys.contains(where: Self.isNVProxyFlag)
    }

    /// `[runsc_config]` keys that only an nvproxy-capable runsc accepts: `nvproxy` and `nvproxy-*`.
    public static func isNVProxyFlag(_ key: String) -> Bool {
        key == "nvproxy" || key.hasPrefix("nvproxy-")
    }

    /// Go's `strconv.ParseBool` true values, which is how runsc reads the flag.
    static func isTrue(_ value: String) -> Bool {
        ["1", "t", "T", "TRUE", "true", "True"].contains(value)
    }
}
