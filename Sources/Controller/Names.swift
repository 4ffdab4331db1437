/// Names, labels and annotations shared with Gardener and the Go extension; changing one breaks upgrades from it.
public enum Names {
    /// `spec.type` of the ContainerRuntimes this controller owns.
    public static let containerRuntimeType = "gvisor"
    public static let extensionName = "runtime-gvisor"
    public static let component = "gardener-extension-runtime-gvisor"
    public static let finalizer = "extensions.gardener.cloud/containerruntime"
    public static let leaderElectionLease = "runtime-gvisor-leader-election"

    /// The shared ManagedResource (RuntimeClass + ServiceAccount); also the `origin` label value.
    public static let sharedManagedResource = "extension-runtime-gvisor"
    public static let origin = "extension-runtime-gvisor"

    /// The per-pool ManagedResource (ConfigMap + installer DaemonSet).
    public static func installationManagedResource(pool: String) -> String {
        "extension-runtime-gvisor-installation-\(pool)"
    }

    /// ConfigMap and DaemonSet in the shoot's `kube-system`.
    public static func installerName(pool: String) -> String { "containerd-gvisor-\(pool)" }

    public static let runtimeClass = "gvisor"
    public static let runtimeHandler = "runsc"
    public static let shootNamespace = "kube-system"
    public static let serviceAccount = "gvisor"

    public static let operationAnnotation = "gardener.cloud/operation"
    /// gardenlet sets it while it restores an extension's state; controllers must not touch the object meanwhile.
    public static let waitForStateOperation = "wait-for-state"
    public static let originLabel = "origin"
    public static let criNameLabel = "worker.gardener.cloud/cri-name"
    public static let runtimeNodeLabel = "containerruntime.worker.gardener.cloud/gvisor"
    /// Selects one pool's installer pods; the Go original gave every pool's DaemonSet the same selector.
    public static let poolLabel = "runtime-gvisor.extensions.gardener.cloud/worker-pool"
    /// On the per-pool ManagedResource: which ContainerRuntime it belongs to (health updates find it by this).
    public static let containerRuntimeLabel = "runtime-gvisor.extensions.gardener.cloud/container-runtime"
    public static let configChecksumAnnotation = "checksum/configmap-containerd-gvisor"
    public static let garbageCollectableLabel = "resources.gardener.cloud/garbage-collectable-reference"
    /// Prefix of gardener-resource-manager's reference annotations (`references.AnnotationKeyPrefix`).
    public static let referenceAnnotationPrefix = "reference.resources.gardener.cloud/"
    /// gardener-resource-manager deletes and recreates an object carrying this when an update is rejected as
    /// invalid (an immutable field such as a DaemonSet's `spec.selector` changed).
    public static let deleteOnInvalidUpdateAnnotation = "resources.gardener.cloud/delete-on-invalid-update"
    public static let noCleanupLabel = "shoot.gardener.cloud/no-cleanup"
    /// Key in the ManagedResource secrets.
    public static let secretKey = "config.yaml"
    /// Key in the installer ConfigMap, mounted at ``installerConfigDirectory``.
    public static let configurationKey = "gvisor-configuration.yaml"
    public static let installerConfigDirectory = "/etc/gvisor-node"
    public static let hostRoot = "/var/host"

    public static let errorConfigurationProblem = "ERR_CONFIGURATION_PROBLEM"
}
