/// List, then watch from the list's resourceVersion, forever: resumes after a watch ends (the server closes
/// them after `timeoutSeconds`), follows bookmarks, and lists again on 410 Gone, reporting objects that vanished
/// meanwhile as deleted. The handler sees every object at least once per list.
public struct Informer<R: KubernetesResource>: Sendable {
    public enum Notification: Sendable {
        case upserted(R)
        case deleted(R)
        /// The first list is through: everything that existed has been handed over once.
        case synced
    }

    public let api: any KubernetesAPI
    public var namespace: String?
    public var labelSelector: [String: String]
    /// Pause before retrying after an error other than 410.
    public var retryDelay: Duration

    public init(
        api: any KubernetesAPI, namespace: String? = nil, labelSelector: [String: String] = [:],
        retryDelay: Duration = .seconds(1)
    ) {
        self.api = api
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.retryDelay = retryDelay
    }

    /// Runs until the task is cancelled.
    public func run(_ handler: @Sendable (Notification) async -> Void) async {
        var known: [String: R] = [:]
        var synced = false
        var resourceVersion: String? = nil
        while !Task.isCancelled {
            do {
                if resourceVersion == nil {
                    let list = try await api.list(R.self, namespace: namespace, labelSelector: labelSelector)
                    var fresh: [String: R] = [:]
                    for item in list.items { fresh[Self.key(item)] = item }
                    for (key, old) in known where fresh[key] == nil { await handler(.deleted(old)) }
                    for item in list.items { await handler(.upserted(item)) }
                    known = fresh
                    resourceVersion = list.resourceVersion
                    if !synced {
                        synced = true
                        await handler(.synced)
                    }
                }
                let events = api.watch(
                    R.self, namespace: namespace, labelSelector: labelSelector, resourceVersion: resourceVersion!)
                for try await event in events {
                    switch event {
                    case .added(let object), .modified(let object):
                        known[Self.key(object)] = object
                        resourceVersion = object.metadata.resourceVersion ?? resourceVersion
                        await handler(.upserted(object))
                    case .deleted(let object):
                        known[Self.key(object)] = nil
                        resourceVersion = object.metadata.resourceVersion ?? resourceVersion
                        await handler(.deleted(object))
                    case .bookmark(let version):
                        if !version.isEmpty { resourceVersion = version }
                    }
                }
            } catch let error as KubernetesError where error.isGone {
                resourceVersion = nil
            } catch {
                if Task.isCancelled { return }
                try? await Task.sleep(for: retryDelay)
            }
        }
    }

    static func key(_ object: R) -> String { "\(object.namespace ?? "")/\(object.name)" }
}
