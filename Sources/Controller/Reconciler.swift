import Foundation
import GVisorConfig
import Kubernetes

/// Gardener's generic ContainerRuntime reconciler (`extensions/pkg/controller/containerruntime`) around the
/// ``Actuator``: type and class filter, failed-shoot skip, dispatch (migrate → delete → restore → reconcile), the
/// finalizer, `status.lastOperation` / `lastError` / `observedGeneration`, the operation annotation, plus what the
/// Go original lacks: conditions for the providerConfig and the installer's health, and an Event for ignored flags.
public struct Reconciler: Sendable {
    public struct Options: Sendable {
        /// `--ignore-operation-annotation`: reconcile on every spec change instead of on `gardener.cloud/operation`.
        public var ignoreOperationAnnotation: Bool
        /// Extension classes served (`spec.class`, nil counts as `shoot`).
        public var extensionClasses: Set<String>

        public init(ignoreOperationAnnotation: Bool = false, extensionClasses: Set<String> = ["shoot"]) {
            self.ignoreOperationAnnotation = ignoreOperationAnnotation
            self.extensionClasses = extensionClasses
        }
    }

    /// What a pass did (tests and metrics read it).
    public enum Action: String, Sendable, Hashable {
        case none, skipped, reconciled, restored, deleted, migrated, healthUpdated
    }

    public static let configurationCondition = "ProviderConfigValid"
    public static let installationCondition = "InstallationHealthy"
    public static let ignoredFlagsReason = "UnknownConfigFlagsIgnored"

    public let api: any KubernetesAPI
    public let actuator: Actuator
    public var options: Options
    public var clock: @Sendable () -> Date

    public init(
        api: any KubernetesAPI, actuator: Actuator, options: Options = Options(),
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.api = api
        self.actuator = actuator
        self.options = options
        self.clock = clock
    }

    /// One pass for `namespace/name`. Errors are also written to the status; the caller retries with backoff.
    ///
    /// Order as in Gardener's `OperationAnnotationWrapper` and `containerruntime.reconciler`: an object annotated
    /// `gardener.cloud/operation: wait-for-state` is left alone entirely (gardenlet is still restoring its state);
    /// a failed shoot (`lastOperation.state: Failed`) is skipped for every operation, delete and migrate included;
    /// a migrated object is skipped until it is restored (`ShouldSkipOperation`).
    @discardableResult
    public func reconcile(namespace: String, name: String) async throws -> Action {
        guard let runtime = try await api.getIfExists(ContainerRuntime.self, namespace: namespace, name: name),
            runtime.spec.type == Names.containerRuntimeType,
            options.extensionClasses.contains(runtime.spec.class ?? "shoot")
        else { return .none }
        let operation = runtime.metadata.annotations?[Names.operationAnnotation]
        if operation == Names.waitForStateOperation { return .skipped }
        let cluster = try await api.getIfExists(Cluster.self, namespace: nil, name: namespace)
        if cluster?.shootIsFailed == true { return .skipped }
        let last = runtime.status?.lastOperation
        let migrated = last?.type == "Migrate" && last?.state == "Succeeded"

        if operation == "migrate" || (last?.type == "Migrate" && last?.state != "Succeeded" && operation != "restore") {
            return try await migrate(runtime, cluster)
        }
        if migrated, operation != "restore" { return .skipped }  // waits for restore
        if runtime.metadata.isDeleting {
            return try await delete(runtime, cluster)
        }
        if operation == "restore" || (last?.type == "Restore" && last?.state != "Succeeded") {
            return try await reconcile(runtime, cluster, type: "Restore")
        }
        if needsReconcile(runtime, operation: operation) {
            return try await reconcile(
                runtime, cluster,
                type: last == nil || (last?.type == "Create" && last?.state != "Succeeded") ? "Create" : "Reconcile")
        }
        return try await updateHealth(runtime) ? .healthUpdated : .none
    }

    /// Gardener's default predicates: the operation annotation, a last operation that did not succeed, or (when
    /// ignoring the annotation) a generation not yet observed.
    func needsReconcile(_ runtime: ContainerRuntime, operation: String?) -> Bool {
        if operation == "reconcile" { return true }
        guard let last = runtime.status?.lastOperation, last.state == "Succeeded" else { return true }
        if options.ignoreOperationAnnotation {
            return runtime.status?.observedGeneration != runtime.metadata.generation
        }
        return false
    }

    private func reconcile(_ runtime: ContainerRuntime, _ cluster: Cluster?, type: String) async throws -> Action {
        let verb =
            type == "Restore" ? ("Restoring", "restored", "restoring") : ("Reconciling", "reconciled", "reconciling")
        guard
            let current = try await api.modify(
                ContainerRuntime.self, namespace: runtime.namespace, name: runtime.name,
                { $0.metadata.addFinalizer(Names.finalizer) })
        else { return .none }
        try await setOperation(current, type: type, state: "Processing", progress: 1, "\(verb.0) the ContainerRuntime")
        let outcome: Actuator.Outcome
        do {
            outcome =
                try await type == "Restore"
                ? actuator.restore(current, cluster: cluster) : actuator.reconcile(current, cluster: cluster)
        } catch {
            try await setError(current, type: type, "Error \(verb.2) ContainerRuntime", error)
            throw error
        }
        try await removeOperationAnnotation(current)
        let findings = outcome.findings
        let message = findings.joined(separator: "; ")
        let updated = try await patchStatus(current) { status, object in
            let now = Timestamp.rfc3339(clock())
            status.lastOperation = LastOperation(
                type: type, state: "Succeeded", description: "Successfully \(verb.1) ContainerRuntime", progress: 100,
                lastUpdateTime: now)
            status.lastError = nil
            status.observedGeneration = object.metadata.generation
            var conditions = status.conditions ?? []
            conditions.set(
                findings.isEmpty
                    ? Condition(
                        type: Self.configurationCondition, status: "True", reason: "ConfigurationAccepted",
                        message: "providerConfig is valid; every configFlags entry is applied")
                    : Condition(
                        type: Self.configurationCondition, status: "False", reason: Self.ignoredFlagsReason,
                        message: "providerConfig entries not applied: \(message)"),
                now: now)
            status.conditions = conditions
        }
        if !findings.isEmpty {
            let previous = runtime.status?.conditions?[type: Self.configurationCondition]
            if previous?.reason != Self.ignoredFlagsReason
                || previous?.message != "providerConfig entries not applied: \(message)"
            {
                try await recordEvent(
                    current, type: "Warning", reason: Self.ignoredFlagsReason,
                    message: "providerConfig entries not applied to runsc.toml: \(message)")
            }
        }
        if let updated { _ = try await updateHealth(updated) }
        return type == "Restore" ? .restored : .reconciled
    }

    private func delete(_ runtime: ContainerRuntime, _ cluster: Cluster?) async throws -> Action {
        guard runtime.metadata.hasFinalizer(Names.finalizer) else { return .none }
        let force = cluster?.shootNeedsForceDeletion ?? false
        try await setOperation(
            runtime, type: "Delete", state: "Processing", progress: 1, "Deleting the ContainerRuntime")
        do {
            if force {
                try await actuator.forceDelete(runtime, cluster: cluster)
            } else {
                try await actuator.delete(runtime, cluster: cluster)
            }
        } catch {
            try await setError(runtime, type: "Delete", "Error deleting ContainerRuntime", error)
            throw error
        }
        try await setOperation(
            runtime, type: "Delete", state: "Succeeded", progress: 100, "Successfully deleted ContainerRuntime")
        try await api.modify(ContainerRuntime.self, namespace: runtime.namespace, name: runtime.name) {
            $0.metadata.removeFinalizer(Names.finalizer)
        }
        return .deleted
    }

    private func migrate(_ runtime: ContainerRuntime, _ cluster: Cluster?) async throws -> Action {
        try await setOperation(
            runtime, type: "Migrate", state: "Processing", progress: 1, "Starting Migration of the ContainerRuntime")
        do {
            try await actuator.migrate(runtime, cluster: cluster)
        } catch {
            try await setError(runtime, type: "Migrate", "Error migrating ContainerRuntime", error)
            throw error
        }
        try await setOperation(
            runtime, type: "Migrate", state: "Succeeded", progress: 100, "Successfully migrated ContainerRuntime")
        try await api.modify(ContainerRuntime.self, namespace: runtime.namespace, name: runtime.name) { object in
            let hadFinalizers = object.metadata.finalizers != nil
            let hadAnnotation = object.metadata.annotations?[Names.operationAnnotation] != nil
            object.metadata.finalizers = nil
            object.metadata.annotations?[Names.operationAnnotation] = nil
            return hadFinalizers || hadAnnotation
        }
        return .migrated
    }

    /// Mirrors the pool's ManagedResource conditions (applied, healthy, not progressing) into the
    /// `InstallationHealthy` condition. Returns whether the status changed.
    func updateHealth(_ runtime: ContainerRuntime) async throws -> Bool {
        guard !runtime.metadata.isDeleting, runtime.status?.lastOperation?.type != "Migrate" else { return false }
        let resource = try await api.getIfExists(
            ManagedResource.self, namespace: runtime.namespace,
            name: Names.installationManagedResource(pool: runtime.spec.workerPool.name))
        let condition = Self.installationCondition(resource)
        let changed = try await patchStatus(runtime) { status, _ in
            var conditions = status.conditions ?? []
            let old = conditions[type: Self.installationCondition]
            guard
                old?.status != condition.status || old?.reason != condition.reason || old?.message != condition.message
            else { return }
            conditions.set(condition, now: Timestamp.rfc3339(clock()))
            status.conditions = conditions
        }
        return changed.map { $0.metadata.resourceVersion != runtime.metadata.resourceVersion } ?? false
    }

    /// The installer's health from gardener-resource-manager's view of the pool's ManagedResource.
    public static func installationCondition(_ resource: ManagedResource?) -> Condition {
        guard let resource else {
            return Condition(
                type: installationCondition, status: "Unknown", reason: "ManagedResourceMissing",
                message: "the installer's ManagedResource does not exist yet")
        }
        let conditions = resource.status?.conditions ?? []
        let applied = conditions[type: "ResourcesApplied"]
        let healthy = conditions[type: "ResourcesHealthy"]
        let progressing = conditions[type: "ResourcesProgressing"]
        if applied?.status == "False" {
            return Condition(
                type: installationCondition, status: "False", reason: "InstallerNotApplied",
                message: applied?.message ?? "the installer DaemonSet could not be applied to the shoot")
        }
        if healthy?.status == "False" {
            return Condition(
                type: installationCondition, status: "False", reason: "InstallerUnhealthy",
                message: healthy?.message ?? "the installer DaemonSet is not healthy")
        }
        if applied?.status == "True", healthy?.status == "True" {
            if progressing?.status == "True" {
                return Condition(
                    type: installationCondition, status: "False", reason: "InstallerProgressing",
                    message: progressing?.message ?? "the installer DaemonSet is rolling out")
            }
            return Condition(
                type: installationCondition, status: "True", reason: "InstallerReady",
                message: "the installer DaemonSet is ready on every node of the pool")
        }
        return Condition(
            type: installationCondition, status: "Unknown", reason: "InstallerStatusPending",
            message: "gardener-resource-manager has not reported on the installer yet")
    }

    private func setOperation(
        _ runtime: ContainerRuntime, type: String, state: String, progress: Int, _ description: String
    ) async throws {
        try await patchStatus(runtime) { status, object in
            status.lastOperation = LastOperation(
                type: type, state: state, description: description, progress: progress,
                lastUpdateTime: Timestamp.rfc3339(clock()))
            if state == "Succeeded" {
                status.lastError = nil
                status.observedGeneration = object.metadata.generation
            }
        }
    }

    /// Gardener's `statusUpdater`: a JSON merge patch of the status subresource (`client.Status().Patch` with
    /// `MergeFrom`), carrying only the fields that changed, so that what this controller does not model
    /// (`status.state`, `status.resources`, `providerStatus`) stays. Conditions are a list, which a merge patch
    /// replaces whole; when they change, the patch carries the resourceVersion it was computed from (409 and a
    /// fresh read on a race) and every condition keeps the fields others set (`codes`).
    @discardableResult
    func patchStatus(
        _ runtime: ContainerRuntime, attempts: Int = 5,
        _ change: @Sendable (inout ContainerRuntime.Status, ContainerRuntime) -> Void
    ) async throws -> ContainerRuntime? {
        var attempt = 0
        while true {
            attempt += 1
            guard
                let object = try await api.getIfExists(
                    ContainerRuntime.self, namespace: runtime.namespace, name: runtime.name)
            else { return nil }
            let old = object.status ?? ContainerRuntime.Status()
            var new = old
            change(&new, object)
            var status: [String: JSONValue] = [:]
            func field<T: Encodable & Equatable>(_ name: String, _ before: T?, _ after: T?) throws {
                guard before != after else { return }
                status[name] = try after.map { try JSONValue(encoding: $0) } ?? .null
            }
            try field("lastOperation", old.lastOperation, new.lastOperation)
            try field("lastError", old.lastError, new.lastError)
            try field("observedGeneration", old.observedGeneration, new.observedGeneration)
            try field("conditions", old.conditions, new.conditions)
            guard !status.isEmpty else { return object }
            var patch: JSONValue = ["status": .object(status)]
            if status["conditions"] != nil, let version = object.metadata.resourceVersion {
                patch["metadata"] = ["resourceVersion": .string(version)]
            }
            do {
                return try await api.patchStatus(
                    ContainerRuntime.self, namespace: runtime.namespace, name: runtime.name, mergePatch: patch)
            } catch let error as KubernetesError where error.isConflict && attempt < attempts {
                continue
            } catch let error as KubernetesError where error.isNotFound {
                return nil
            }
        }
    }

    private func setError(_ runtime: ContainerRuntime, type: String, _ summary: String, _ error: any Error) async throws
    {
        let codes = (error as? ControllerError)?.codes ?? []
        let description = "\(summary): \(error)"
        // Gardener's statusUpdater.Error sets observedGeneration too: the generation was looked at, and failed.
        try await patchStatus(runtime) { status, object in
            status.observedGeneration = object.metadata.generation
            let now = Timestamp.rfc3339(clock())
            status.lastOperation = LastOperation(
                type: type, state: "Error", description: description, progress: 50, lastUpdateTime: now)
            status.lastError = LastError(
                description: description, codes: codes.isEmpty ? nil : codes, lastUpdateTime: now)
            if codes.contains(Names.errorConfigurationProblem) {
                var conditions = status.conditions ?? []
                conditions.set(
                    Condition(
                        type: Self.configurationCondition, status: "False", reason: "ConfigurationProblem",
                        message: "\(error)"), now: now)
                status.conditions = conditions
            }
        }
    }

    private func removeOperationAnnotation(_ runtime: ContainerRuntime) async throws {
        guard let value = runtime.metadata.annotations?[Names.operationAnnotation],
            ["reconcile", "restore"].contains(value)
        else { return }
        try await api.modify(ContainerRuntime.self, namespace: runtime.namespace, name: runtime.name) { object in
            guard object.metadata.annotations?[Names.operationAnnotation] != nil else { return false }
            object.metadata.annotations?[Names.operationAnnotation] = nil
            return true
        }
    }

    /// A core/v1 Event on the ContainerRuntime (shown by `kubectl describe`).
    func recordEvent(_ runtime: ContainerRuntime, type: String, reason: String, message: String) async throws {
        let now = clock()
        let suffix = String(UInt64(now.timeIntervalSince1970 * 1_000_000_000), radix: 16)
        let event = Event(
            metadata: ObjectMeta(name: "\(runtime.name).\(suffix)", namespace: runtime.namespace),
            involvedObject: ObjectReference(
                apiVersion: runtime.apiVersion, kind: runtime.kind, name: runtime.name, namespace: runtime.namespace,
                uid: runtime.metadata.uid, resourceVersion: runtime.metadata.resourceVersion),
            reason: reason, message: message, type: type, component: Names.component,
            timestamp: Timestamp.rfc3339(now))
        do {
            _ = try await api.create(event)
        } catch let error as KubernetesError where error.isAlreadyExists {
        }
    }
}
