import Checksum
import GVisorConfig
import GVisorConfigYAML
import Kubernetes

/// The objects that end up in the shoot, as deterministic YAML: the same inputs give the same bytes, so secret
/// names, checksums and DaemonSet pod templates change only when something real changed.
public enum Rendering {
    /// What one pool's installer needs.
    public struct Installation: Sendable, Hashable {
        public var pool: String
        /// Host directory for runsc and the shim (`spec.binaryPath`).
        public var binaryPath: String
        /// The pool's node labels (`spec.workerPool.selector.matchLabels`).
        public var poolSelector: [String: String]
        /// Validated configuration: only allowed flags with canonical values.
        public var configuration: GVisorConfiguration
        public var image: String

        public init(
            pool: String, binaryPath: String, poolSelector: [String: String], configuration: GVisorConfiguration,
            image: String
        ) {
            self.pool = pool
            self.binaryPath = binaryPath
            self.poolSelector = poolSelector
            self.configuration = configuration
            self.image = image
        }
    }

    /// The RuntimeClass's `overhead.podFixed`: what the scheduler reserves and the kubelet adds to the pod cgroup
    /// for the sandbox itself (Sentry and gofer), on top of the containers' requests and limits.
    public struct Overhead: Sendable, Hashable {
        /// Kubernetes quantities, e.g. `128Mi`, `50m`.
        public var memory: String
        public var cpu: String

        public init(memory: String, cpu: String) {
            self.memory = memory
            self.cpu = cpu
        }

        /// From one measurement on this project's test machine (not a benchmark; see the README, "RuntimeClass
        /// overhead"): an idle sandbox of runsc 20240729 (systrap, `sleep`) charged 11-13 MiB to its cgroup, and
        /// its Sentry and gofer held 54 MiB resident (35 MiB proportional), most of it the runsc binary's shared
        /// pages. 64Mi covers the whole resident set even when a pod is charged for those pages, with room for the
        /// network stack; gVisor's docs give no figure. Operators override it in the chart.
        public static let `default` = Overhead(memory: "64Mi", cpu: "50m")
    }

    /// RuntimeClass `gvisor` and ServiceAccount `kube-system/gvisor`, shared by every pool.
    public static func sharedObjects(overhead: Overhead? = .default) -> [JSONValue] {
        var runtimeClass: JSONValue = [
            "apiVersion": "node.k8s.io/v1",
            "kind": "RuntimeClass",
            "metadata": ["name": .string(Names.runtimeClass)],
            "handler": .string(Names.runtimeHandler),
            "scheduling": ["nodeSelector": [Names.runtimeNodeLabel: "true"]],
        ]
        if let overhead {
            runtimeClass["overhead"] = ["podFixed": ["memory": .string(overhead.memory), "cpu": .string(overhead.cpu)]]
        }
        let serviceAccount: JSONValue = [
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": ["name": .string(Names.serviceAccount), "namespace": .string(Names.shootNamespace)],
            "automountServiceAccountToken": false,
        ]
        return [runtimeClass, serviceAccount]
    }

    /// ConfigMap (the pool's GVisorConfiguration) and the installer DaemonSet running `gvisor-node run`.
    public static func installationObjects(_ installation: Installation) -> [JSONValue] {
        let name = Names.installerName(pool: installation.pool)
        let configYAML = installation.configuration.yaml()
        let configMap: JSONValue = [
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": [
                "name": .string(name), "namespace": .string(Names.shootNamespace),
                "labels": .strings(["app.kubernetes.io/name": "containerd-gvisor", Names.poolLabel: installation.pool]),
            ],
            "data": .strings([Names.configurationKey: configYAML]),
        ]
        let checksum = SHA256.hex(Manifest.yaml([configMap]))
        var nodeSelector = installation.poolSelector
        nodeSelector[Names.criNameLabel] = "containerd"
        let selector: [String: String] = [
            "app.kubernetes.io/name": "containerd-gvisor", Names.poolLabel: installation.pool,
        ]
        var podLabels = selector
        podLabels["origin"] = "gardener-extension-runtime-gvisor"
        podLabels["gardener.cloud/role"] = "container-runtime"
        let command: [JSONValue] = [
            "/gvisor-node", "run", "--host-root", .string(Names.hostRoot), "--bin-dir",
            .string(installation.binaryPath),
            "--config", .string("\(Names.installerConfigDirectory)/\(Names.configurationKey)"),
        ]
        let container: JSONValue = [
            "name": "container-runtime-gvisor-containerd",
            "image": .string(installation.image),
            "imagePullPolicy": "IfNotPresent",
            "command": .array(command),
            "securityContext": ["privileged": true],
            "resources": ["requests": ["cpu": "10m", "memory": "32Mi"]],
            // Ready means `gvisor-node doctor`'s verdict for this node: binaries, handler registered, runsc.toml as
            // configured, platform usable. InstallationHealthy (from gardener-resource-manager's DaemonSet health)
            // therefore turns true only when every node of the pool can run gVisor pods.
            "readinessProbe": [
                "exec": [
                    "command": .array(
                        [
                            "/gvisor-node", "doctor", "--host-root", .string(Names.hostRoot), "--bin-dir",
                            .string(installation.binaryPath), "--config",
                            .string("\(Names.installerConfigDirectory)/\(Names.configurationKey)"),
                        ])
                ],
                "initialDelaySeconds": 5, "periodSeconds": 30, "timeoutSeconds": 20, "failureThreshold": 2,
            ],
            "volumeMounts": [
                ["name": "host-root", "mountPath": .string(Names.hostRoot)],
                ["name": "config", "mountPath": .string(Names.installerConfigDirectory), "readOnly": true],
            ],
        ]
        let daemonSet: JSONValue = [
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": [
                "name": .string(name), "namespace": .string(Names.shootNamespace),
                "labels": .strings([
                    "app.kubernetes.io/name": "containerd-gvisor", "helm.sh/chart": "containerd-gvisor",
                    Names.poolLabel: installation.pool,
                ]),
                // The Go extension's DaemonSet of the same name selects only `app.kubernetes.io/name`; a selector
                // is immutable, so after an upgrade gardener-resource-manager's update is rejected as invalid and
                // this annotation makes it delete and recreate the DaemonSet instead of failing for good.
                "annotations": .strings([Names.deleteOnInvalidUpdateAnnotation: "true"]),
            ],
            "spec": [
                "selector": ["matchLabels": .strings(selector)],
                "updateStrategy": ["type": "RollingUpdate"],
                "template": [
                    "metadata": [
                        "labels": .strings(podLabels),
                        "annotations": .strings([Names.configChecksumAnnotation: checksum]),
                    ],
                    "spec": [
                        "serviceAccountName": .string(Names.serviceAccount),
                        "automountServiceAccountToken": false,
                        "hostPID": true,
                        "hostIPC": true,
                        "securityContext": ["seccompProfile": ["type": "RuntimeDefault"]],
                        "nodeSelector": .strings(nodeSelector),
                        "tolerations": [
                            ["effect": "NoSchedule", "operator": "Exists"],
                            ["effect": "NoExecute", "operator": "Exists"],
                        ],
                        "containers": [container],
                        "volumes": [
                            ["name": "host-root", "hostPath": ["path": "/", "type": "Directory"]],
                            ["name": "config", "configMap": ["name": .string(name), "defaultMode": 0o444]],
                        ],
                    ],
                ],
            ],
        ]
        return [configMap, daemonSet]
    }

    /// The installer's configuration: the validated flags only (the node validates strictly again), no
    /// `testImageTag` (it chose the image, the node does not need it).
    public static func installerConfiguration(_ flags: RunscConfigFlags) -> GVisorConfiguration {
        var map: [String: String] = [:]
        for flag in RunscFlag.allCases {
            if let value = flags[flag] { map[flag.rawValue] = value }
        }
        return GVisorConfiguration(configFlags: map.isEmpty ? nil : map)
    }
}
