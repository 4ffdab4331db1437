import Foundation
import Kubernetes
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The Helm chart as shipped, run for real: `scripts/render-chart.py` renders `configs/charts/...` with its default
/// values, and the built `gardener-extension-runtime-gvisor` starts with exactly the Deployment's rendered
/// `args` and `env` (fieldRefs resolved as the kubelet would) against the API server stand-in. The only addition
/// is `KUBECONFIG`, standing in for the service-account mount a pod gets. It must become ready (`/readyz` 200 on
/// the rendered health port), take the leader Lease and keep the heartbeat Lease (Gardener's extension heartbeat
/// controller: `gardener-extension-heartbeat`, holder `runtime-gvisor`) in the release namespace.
///
/// The ports are the chart's defaults (8080, 8081), so the test needs them free on this machine.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ChartDeploymentTests {
    static let namespace = "extension-runtime-gvisor"

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// The chart rendered with `--values` files (none: as shipped), as JSON documents.
    static func renderChart(values: [String: String] = [:], kubeVersion: String = "1.30.0") throws -> [JSONValue] {
        var arguments = [
            "scripts/render-chart.py", "configs/charts/gardener-extension-runtime-gvisor", "--namespace", namespace,
            "--kube-version", kubeVersion,
        ]
        var files: [String] = []
        defer { for file in files { try? FileManager.default.removeItem(atPath: file) } }
        for (name, text) in values.sorted(by: { $0.key < $1.key }) {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("values-\(name)-\(UUID()).yaml")
            try text.write(to: file, atomically: true, encoding: .utf8)
            files.append(file.path)
            arguments += ["--values", file.path]
        }
        let yaml = try run("/usr/bin/env", ["python3"] + arguments)
        let json = try run(
            "/usr/bin/env",
            [
                "python3", "-c",
                "import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d]))",
            ], input: yaml)
        guard case .array(let documents) = try JSONValue(parsing: Data(json.utf8)) else {
            throw ChartTestError("the rendered chart is not a list of documents")
        }
        return documents
    }

    static func run(_ executable: String, _ arguments: [String], input: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = repositoryRoot
        let output = Pipe()
        let errors = Pipe()
        let stdin = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let messages = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ChartTestError(
                "\(arguments.prefix(2).joined(separator: " ")) exited \(process.terminationStatus): "
                    + String(decoding: messages, as: UTF8.self))
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func controllerBinary() throws -> String {
        let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        while directory.pathExtension == "xctest" || directory.lastPathComponent == "Contents" {
            directory.deleteLastPathComponent()
        }
        let binary = directory.appendingPathComponent("gardener-extension-runtime-gvisor").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ChartTestError("gardener-extension-runtime-gvisor is not built at \(binary); run `swift build` first")
        }
        return binary
    }

    struct RBACRule {
        /// nil: a ClusterRole's rule (any namespace); else a Role's namespace.
        var namespace: String?
        var apiGroups: [String]
        var resources: [String]
        var verbs: [String]
        var resourceNames: [String]?
    }

    /// The rules of the chart's ClusterRoles and Roles that its bindings give the Deployment's ServiceAccount.
    static func rbacRules(_ documents: [JSONValue]) throws -> [RBACRule] {
        let strings = { (value: JSONValue?) -> [String]? in
            guard case .array(let items) = value ?? .null else { return nil }
            return items.compactMap(\.stringValue)
        }
        let serviceAccount = try #require(
            document(documents, kind: "Deployment")?.value(at: "spec.template.spec.serviceAccountName")?.stringValue)
        var bound: Set<String> = []
        for binding in documents where ["ClusterRoleBinding", "RoleBinding"].contains(binding["kind"]?.stringValue) {
            guard case .array(let subjects) = binding["subjects"] ?? .null else { continue }
            if subjects.contains(where: {
                $0["kind"] == "ServiceAccount" && $0["name"]?.stringValue == serviceAccount
                    && $0["namespace"]?.stringValue == namespace
            }) {
                bound.insert(
                    "\(binding.value(at: "roleRef.kind")?.stringValue ?? "")/\(binding.value(at: "roleRef.name")?.stringValue ?? "")"
                )
            }
        }
        var rules: [RBACRule] = []
        for role in documents where ["ClusterRole", "Role"].contains(role["kind"]?.stringValue) {
            let kind = role["kind"]?.stringValue ?? ""
            guard bound.contains("\(kind)/\(role.value(at: "metadata.name")?.stringValue ?? "")"),
                case .array(let entries) = role["rules"] ?? .null
            else { continue }
            for entry in entries {
                rules.append(
                    RBACRule(
                        namespace: kind == "Role" ? role.value(at: "metadata.namespace")?.stringValue : nil,
                        apiGroups: strings(entry["apiGroups"]) ?? [], resources: strings(entry["resources"]) ?? [],
                        verbs: strings(entry["verbs"]) ?? [], resourceNames: strings(entry["resourceNames"])))
            }
        }
        return rules
    }

    /// Whether one recorded request (`METHOD path[?watch]`) is allowed: Kubernetes' request-to-verb mapping
    /// (GET object → get, GET collection → list or watch, POST → create, PUT → update, PATCH → patch, DELETE →
    /// delete), subresources as `resource/status`, resourceNames only for requests that name an object.
    static func allowed(_ request: String, _ rules: [RBACRule]) -> Bool {
        let parts = request.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return false }
        let watch = parts[1].hasSuffix("?watch")
        let path = watch ? String(parts[1].dropLast("?watch".count)) : parts[1]
        guard let route = FakeAPIServer.route(path) else { return false }
        let verb: String
        switch parts[0] {
        case "GET": verb = route.name == nil ? (watch ? "watch" : "list") : "get"
        case "POST": verb = "create"
        case "PUT": verb = "update"
        case "PATCH": verb = "patch"
        case "DELETE": verb = "delete"
        default: return false
        }
        let resource = route.type.plural + (route.status ? "/status" : "")
        return rules.contains { rule in
            (rule.namespace == nil || rule.namespace == route.namespace)
                && rule.apiGroups.contains(route.type.group) && rule.resources.contains(resource)
                && rule.verbs.contains(verb)
                && (rule.resourceNames.map { names in route.name.map(names.contains) ?? false } ?? true)
        }
    }

    /// The first container's args of a Deployment.
    static func args(_ deployment: JSONValue?) -> [String] {
        guard case .array(let containers) = deployment?.value(at: "spec.template.spec.containers") ?? .null,
            case .array(let values) = containers.first?["args"] ?? .null
        else { return [] }
        return values.compactMap(\.stringValue)
    }

    static func document(_ documents: [JSONValue], kind: String) -> JSONValue? {
        documents.first { $0["kind"]?.stringValue == kind }
    }

    /// The container's environment as the kubelet would set it: values, and the fieldRefs this chart uses.
    static func environment(_ container: JSONValue) throws -> [String: String] {
        var environment: [String: String] = [:]
        guard case .array(let entries) = container["env"] ?? .array([]) else { return environment }
        for entry in entries {
            let name = try #require(entry["name"]?.stringValue)
            if let value = entry["value"]?.stringValue {
                environment[name] = value
            } else if let path = entry.value(at: "valueFrom.fieldRef.fieldPath")?.stringValue {
                switch path {
                case "metadata.namespace": environment[name] = namespace
                case "metadata.name": environment[name] = "gardener-extension-runtime-gvisor-0"
                default: throw ChartTestError("env \(name): fieldRef \(path) is not resolved by this test")
                }
            } else {
                throw ChartTestError("env \(name): unsupported source \(entry)")
            }
        }
        return environment
    }

    /// The HTTP status of `GET path` on 127.0.0.1 (HTTP/1.0 over a plain socket), nil when nothing answers.
    static func httpStatus(port: Int, path: String) -> Int? {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return nil }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard send(socket, request, request.count, 0) == request.count else { return nil }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        // "HTTP/1.1 200 OK"
        let words = String(decoding: response.prefix(32), as: UTF8.self).split(separator: " ")
        return words.count >= 2 ? Int(words[1]) : nil
    }

    @Test func chartAsShippedStartsTheControllerUntilReady() async throws {
        let documents = try Self.renderChart()
        let deployment = try #require(Self.document(documents, kind: "Deployment"))
        guard case .array(let containers) = deployment.value(at: "spec.template.spec.containers") ?? .null else {
            Issue.record("the Deployment has no containers")
            return
        }
        let container = try #require(containers.first)
        guard case .array(let argValues) = container["args"] ?? .null else {
            Issue.record("the container has no args")
            return
        }
        let args = argValues.compactMap(\.stringValue)
        #expect(args.count == argValues.count)
        // The chart as shipped must not pass flags without a value (the empty test repository crashed the pod).
        for argument in args { #expect(!argument.hasSuffix("="), "\(argument)") }
        let healthPort = try #require(
            args.first { $0.hasPrefix("--health-bind-address=") }.flatMap { Int($0.split(separator: ":").last!) })
        var environment = try Self.environment(container)

        let server = try await FakeAPIServer()
        defer { Task { await server.close() } }
        // The heartbeat Lease the Go extension (or an earlier pod) left behind: it is renewed, not recreated.
        _ = try await server.store.create(
            Lease.resourceType, namespace: Self.namespace,
            object: JSONValue(
                encoding: Lease(
                    metadata: ObjectMeta(name: "gardener-extension-heartbeat", namespace: Self.namespace),
                    spec: Lease.Spec(
                        holderIdentity: "runtime-gvisor", leaseDurationSeconds: 30,
                        renewTime: "2026-01-01T00:00:00.000000Z"))))
        // A shoot with one gvisor ContainerRuntime, as gardenlet creates them, so that the controller does its
        // whole job under the chart's RBAC (checked below, request by request).
        let shoot = "shoot--garden--chart"
        _ = try await server.store.create(
            Cluster.resourceType, namespace: nil,
            object: JSONValue(
                encoding: Cluster(
                    metadata: ObjectMeta(name: shoot),
                    spec: Cluster.Spec(shoot: ["spec": ["kubernetes": ["version": "1.33.0"]]]))))
        _ = try await server.store.create(
            ContainerRuntime.resourceType, namespace: shoot,
            object: JSONValue(
                encoding: ContainerRuntime(
                    metadata: ObjectMeta(name: "gvisor-p", namespace: shoot),
                    spec: ContainerRuntime.Spec(
                        type: "gvisor", binaryPath: "/var/bin/containerruntimes",
                        workerPool: ContainerRuntime.WorkerPool(
                            name: "p", selector: LabelSelector(matchLabels: ["worker.gardener.cloud/pool": "p"]))))))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let kubeconfig = directory.appendingPathComponent("kubeconfig")
        try """
        apiVersion: v1
        kind: Config
        current-context: seed
        contexts:
        - name: seed
          context: {cluster: seed, user: controller}
        clusters:
        - name: seed
          cluster: {server: "\(server.url)"}
        users:
        - name: controller
          user: {token: "\(server.token ?? "")"}
        """.write(to: kubeconfig, atomically: true, encoding: .utf8)
        environment["KUBECONFIG"] = kubeconfig.path
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"]

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.controllerBinary())
        process.arguments = args
        process.environment = environment
        let log = directory.appendingPathComponent("controller.log")
        #expect(FileManager.default.createFile(atPath: log.path, contents: nil))
        let logHandle = try FileHandle(forWritingTo: log)
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
        defer {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }

        var ready = false
        for _ in 0..<300 where process.isRunning {
            if Self.httpStatus(port: healthPort, path: "/readyz") == 200 {
                ready = true
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let output = { String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self) }
        #expect(process.isRunning, "the controller exited \(process.terminationStatus): \(output())")
        #expect(ready, "not ready on :\(healthPort)/readyz: \(output())")
        #expect(Self.httpStatus(port: healthPort, path: "/healthz") == 200)

        // Leadership and the heartbeat, in the namespace the chart passes.
        var heartbeat: JSONValue?
        var leader: JSONValue?
        for _ in 0..<100 {
            heartbeat = try? await server.store.get(
                Lease.resourceType, namespace: Self.namespace, name: "gardener-extension-heartbeat")
            leader = try? await server.store.get(
                Lease.resourceType, namespace: Self.namespace, name: "runtime-gvisor-leader-election")
            if heartbeat?.value(at: "spec.renewTime")?.stringValue != "2026-01-01T00:00:00.000000Z", leader != nil {
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(leader?.value(at: "spec.holderIdentity")?.stringValue?.isEmpty == false, "\(output())")
        #expect(heartbeat?.value(at: "spec.holderIdentity")?.stringValue == "runtime-gvisor", "\(output())")
        #expect(heartbeat?.value(at: "spec.leaseDurationSeconds") == .int(30))
        #expect(heartbeat?.value(at: "spec.renewTime")?.stringValue != "2026-01-01T00:00:00.000000Z")

        // The ContainerRuntime is reconciled, with the image the chart names.
        var state: String?
        for _ in 0..<150 {
            let runtime = try? await server.store.get(ContainerRuntime.resourceType, namespace: shoot, name: "gvisor-p")
            state = runtime?.value(at: "status.lastOperation.state")?.stringValue
            if state == "Succeeded" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(state == "Succeeded", "\(output())")
        let managedResources = await server.store.list(ManagedResource.resourceType, namespace: shoot).items
        #expect(managedResources.count == 2)

        // Every request the controller made is allowed by the chart's ClusterRole and Role (the stand-in does not
        // enforce RBAC; this does, with Kubernetes' verb mapping and resourceNames).
        let rules = try Self.rbacRules(documents)
        let requests = await server.requests
        #expect(requests.contains { $0.hasPrefix("PATCH ") && $0.hasSuffix("/status") })
        for request in Set(requests) {
            #expect(Self.allowed(request, rules), "not allowed by the chart's RBAC: \(request)")
        }

        // Another replica takes the lease over: the controller exits 1 (its restart becomes a candidate again),
        // saying who took over, and every log line, this last one included, is JSON (Gardener's log collection
        // parses them).
        if var lease = leader {
            lease["spec"]?["holderIdentity"] = "other-replica"
            lease["spec"]?["renewTime"] = .string(Timestamp.rfc3339Micro(Date()))
            _ = try await server.store.update(Lease.resourceType, namespace: Self.namespace, object: lease)
        }
        for _ in 0..<100 where process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!process.isRunning, "still running after losing the lease")
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        #expect(process.terminationStatus == 1)
        let lines = output().split(separator: "\n")
        for line in lines {
            #expect((try? JSONValue(parsing: Data(line.utf8)))?.objectValue != nil, "not JSON: \(line)")
        }
        let last = try JSONValue(parsing: Data((lines.last ?? "").utf8))
        #expect(last["msg"] == "controller stopped")
        #expect(last["error"]?.stringValue?.contains("taken over by other-replica") == true, "\(last)")
    }

    @Test func testRepositoryFlagOnlyWithAValue() throws {
        let args = { (documents: [JSONValue]) -> [String] in
            Self.args(Self.document(documents, kind: "Deployment"))
        }
        #expect(!args(try Self.renderChart()).contains { $0.hasPrefix("--gvisor-installation-test-repository") })
        let set = args(
            try Self.renderChart(values: ["test": "gvisorInstallation: {testRepository: registry.example/test}"]))
        #expect(set.contains("--gvisor-installation-test-repository=registry.example/test"))
    }

    /// Kubernetes added `unhealthyPodEvictionPolicy` (beta, on by default) in 1.27; older API servers drop it
    /// silently, so the chart renders it only where it takes effect.
    @Test func pdbEvictionPolicyOnlyFrom127() throws {
        let policy = { (version: String) throws -> JSONValue? in
            Self.document(try Self.renderChart(kubeVersion: version), kind: "PodDisruptionBudget")?
                .value(at: "spec.unhealthyPodEvictionPolicy")
        }
        #expect(try policy("1.26.5") == nil)
        #expect(try policy("1.27.0") == .string("AlwaysAllow"))
        #expect(try policy("1.33.1") == .string("AlwaysAllow"))
    }

    /// Gardener's seed Prometheus scrapes pods in `extension-*` namespaces by `prometheus.io/*` pod annotations
    /// (docs/extensions/logging-and-monitoring.md); the seed's NetworkPolicies admit the scrape only with the
    /// Service annotations of docs/operations/network_policies.md; the VPA is optional.
    @Test func seedIntegrationObjects() throws {
        let documents = try Self.renderChart()
        let deployment = try #require(Self.document(documents, kind: "Deployment"))
        let annotations = deployment.value(at: "spec.template.metadata.annotations")
        #expect(annotations?["prometheus.io/scrape"] == .string("true"))
        #expect(annotations?["prometheus.io/port"] == .string("8080"))
        #expect(annotations?["prometheus.io/name"] == .string("runtime-gvisor"))
        let labels = deployment.value(at: "spec.template.metadata.labels")
        #expect(labels?["networking.gardener.cloud/to-runtime-apiserver"] == .string("allowed"))
        #expect(labels?["networking.gardener.cloud/to-dns"] == .string("allowed"))
        let service = try #require(Self.document(documents, kind: "Service"))
        #expect(
            service.value(at: "metadata.annotations")?[
                "networking.resources.gardener.cloud/from-all-seed-scrape-targets-allowed-ports"]
                == .string(#"[{"port":8080,"protocol":"TCP"}]"#))
        #expect(
            service.value(at: "metadata.annotations")?[
                "networking.resources.gardener.cloud/pod-label-selector-namespace-alias"]
                == .string("extensions"))
        let vpa = try #require(Self.document(documents, kind: "VerticalPodAutoscaler"))
        #expect(vpa.value(at: "spec.targetRef.name") == .string("gardener-extension-runtime-gvisor"))
        let withoutVPA = try Self.renderChart(values: ["vpa": "vpa: {enabled: false}"])
        #expect(Self.document(withoutVPA, kind: "VerticalPodAutoscaler") == nil)
        #expect(Self.document(withoutVPA, kind: "Deployment") != nil)
    }

    /// One registry variable for both images; real names and the chart's version as the tag.
    @Test func imagesComeFromOneRegistry() throws {
        let documents = try Self.renderChart(values: ["registry": "registry: registry.internal:5000/gardener"])
        let deployment = Self.document(documents, kind: "Deployment")
        guard case .array(let containers) = deployment?.value(at: "spec.template.spec.containers") ?? .null else {
            Issue.record("no containers")
            return
        }
        #expect(
            containers.first?["image"]?.stringValue
                == "registry.internal:5000/gardener/gardener-extension-runtime-gvisor:0.1.0")
        let args = Self.args(deployment)
        #expect(args.contains("--installer-image=registry.internal:5000/gardener/gvisor-installation:0.1.0"))
    }
}

struct ChartTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
