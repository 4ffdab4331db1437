/// `runsc state <id>`: `{"ociVersion", "id", "status", "pid", "bundle", …}`.
public struct RunscState: Sendable, Hashable, Decodable {
    public var id: String
    public var status: RunscStatus
    /// The sandbox's host pid; runsc prints -1 once stopped.
    public var pid: Int32?
    public var bundle: String?
    public var ociVersion: String?
    /// RFC 3339 creation time, when runsc reports one.
    public var created: String?
    public var annotations: [String: String]?

    public init(
        id: String, status: RunscStatus, pid: Int32? = nil, bundle: String? = nil, ociVersion: String? = nil,
        created: String? = nil, annotations: [String: String]? = nil
    ) {
        self.id = id
        self.status = status
        self.pid = pid
        self.bundle = bundle
        self.ociVersion = ociVersion
        self.created = created
        self.annotations = annotations
    }
}

/// A container's status as runsc names it. Statuses a newer runsc may add are kept as ``unknown(_:)`` rather
/// than failing the decode.
public enum RunscStatus: Sendable, Hashable, Decodable, CustomStringConvertible {
    case creating
    case created
    case running
    case paused
    case stopped
    case unknown(String)

    public init(_ text: String) {
        switch text {
        case "creating": self = .creating
        case "created": self = .created
        case "running": self = .running
        case "paused": self = .paused
        case "stopped": self = .stopped
        default: self = .unknown(text)
        }
    }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public var description: String {
        switch self {
        case .creating: "creating"
        case .created: "created"
        case .running: "running"
        case .paused: "paused"
        case .stopped: "stopped"
        case .unknown(let text): text
        }
    }
}
