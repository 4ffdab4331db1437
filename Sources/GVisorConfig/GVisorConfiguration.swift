/// The `providerConfig` of a Gardener `ContainerRuntime` of type `gvisor`.
///
/// Mirrors the Go extension's `v1alpha1.GVisorConfiguration`. `configFlags` stays optional (not an empty map) so that
/// "absent" and "empty" survive a decode → encode round trip, as they do for the Go `*map[string]string`.
/// Decoding checks structure and types only; which flags are allowed is ``RunscConfigFlags/validate(_:mode:)``'s job.
/// The YAML/JSON decoder and encoder live in `GVisorConfigYAML`, so that the shim, which links this module for
/// runsc.toml, does not link Yams and with it Foundation and ICU.
public struct GVisorConfiguration: Sendable, Hashable {
    /// The only group/version the Go extension registers for this kind.
    public static let apiVersion = "gvisor.runtime.extensions.config.gardener.cloud/v1alpha1"
    public static let kind = "GVisorConfiguration"

    /// Additional runsc flags, `flag name → value`; only the allow-list in ``RunscFlag`` survives validation.
    public var configFlags: [String: String]?
    /// Tag of the installation image to test; only used for development together with the operator's test repository.
    public var testImageTag: String?

    public init(configFlags: [String: String]? = nil, testImageTag: String? = nil) {
        self.configFlags = configFlags
        self.testImageTag = testImageTag
    }

    /// What a shoot without `providerConfig` gets: no flags, no test image (the Go extension allows this).
    public static let empty = GVisorConfiguration()
}

extension GVisorConfiguration {
    /// What to do with top-level fields the type does not know.
    ///
    /// The Go decoder is non-strict and drops them, so a typo such as `configflags` silently loses every flag;
    /// ``reject`` is therefore the default and ``ignore`` restores the Go behaviour.
    public enum UnknownFieldPolicy: Sendable, Hashable {
        case reject
        case ignore
    }

    /// The syntax a document was recognised as; only used to phrase errors and hints.
    public enum DocumentFormat: String, Sendable, Hashable, CustomStringConvertible {
        case yaml = "YAML"
        case json = "JSON"

        public var description: String { rawValue }
    }
}
