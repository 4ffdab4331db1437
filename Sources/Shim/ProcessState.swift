import ShimAPI
import SwiftProtobuf

/// The lifecycle of a process (a container's init or an exec) as containerd sees it. A value type so every
/// transition is checked in one place; an invalid one is a FailedPrecondition, never a crash.
struct ProcessState: Equatable, Sendable {
    enum Status: Equatable, Sendable {
        case created, running, paused, stopped

        var proto: Containerd_V1_Types_Status {
            switch self {
            case .created: .created
            case .running: .running
            case .paused: .paused
            case .stopped: .stopped
            }
        }
    }

    private(set) var status: Status = .created
    var pid: UInt32
    private(set) var exitStatus: UInt32 = 0
    private(set) var exitedAt: Google_Protobuf_Timestamp?

    init(pid: UInt32) { self.pid = pid }

    struct InvalidTransition: Error, CustomStringConvertible {
        let description: String
    }

    mutating func started() throws(InvalidTransition) {
        guard status == .created else { throw InvalidTransition(description: "cannot start a \(status) container") }
        status = .running
    }

    mutating func paused() throws(InvalidTransition) {
        guard status == .running else { throw InvalidTransition(description: "cannot pause a \(status) container") }
        status = .paused
    }

    mutating func resumed() throws(InvalidTransition) {
        guard status == .paused else { throw InvalidTransition(description: "cannot resume a \(status) container") }
        status = .running
    }

    /// Records the exit once; later reports (a second watcher) are ignored.
    @discardableResult
    mutating func exited(status code: Int32, at time: Google_Protobuf_Timestamp) -> Bool {
        guard status != .stopped else { return false }
        status = .stopped
        exitStatus = UInt32(bitPattern: code)
        exitedAt = time
        return true
    }
}
