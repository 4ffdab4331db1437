import ShimAPI
import SwiftProtobuf

/// The lifecycle of a process (a container's init or an exec) as containerd sees it. A value type so every
/// transition is checked in one place: an illegal one throws ``InvalidTransition``, which reaches containerd as
/// FailedPrecondition (ShimError.swift), as runc-v2's `pkg/process` state machine answers; never a crash.
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

    /// The steps containerd asks for. Exits are not among them: they are facts, recorded once (``exited(status:at:)``).
    enum Transition: Sendable {
        case start, pause, resume
        /// Allowed for a process that is not running: a created one is then recorded as exited by the caller.
        case delete
    }

    /// How messages name the process: `container c1`, `exec e1`.
    let name: String
    private(set) var status: Status = .created
    var pid: UInt32
    private(set) var exitStatus: UInt32 = 0
    private(set) var exitedAt: Google_Protobuf_Timestamp?

    init(name: String, pid: UInt32) {
        self.name = name
        self.pid = pid
    }

    struct InvalidTransition: Error, Equatable, CustomStringConvertible {
        let description: String
    }

    /// Throws unless `transition` is allowed from the current status.
    func check(_ transition: Transition) throws(InvalidTransition) {
        switch (transition, status) {
        case (.start, .created), (.pause, .running), (.resume, .paused), (.delete, .created), (.delete, .stopped):
            return
        case (.start, _): throw InvalidTransition(description: "\(name) is \(status), not created")
        case (.pause, _): throw InvalidTransition(description: "cannot pause a \(status) container")
        case (.resume, _): throw InvalidTransition(description: "cannot resume a \(status) container")
        case (.delete, _): throw InvalidTransition(description: "cannot delete a running \(name)")
        }
    }

    /// Checks `transition` and moves to its status.
    mutating func apply(_ transition: Transition) throws(InvalidTransition) {
        try check(transition)
        switch transition {
        case .start, .resume: status = .running
        case .pause: status = .paused
        case .delete: break
        }
    }

    /// Records the exit once; later reports (a second watcher) are ignored and return false.
    @discardableResult
    mutating func exited(status code: Int32, at time: Google_Protobuf_Timestamp) -> Bool {
        guard status != .stopped else { return false }
        status = .stopped
        exitStatus = UInt32(bitPattern: code)
        exitedAt = time
        return true
    }
}
