/// One runsc subcommand with its arguments, as the shim asks for it.
///
/// ``Runsc/command(_:)`` turns it into argv; keeping the operations in one enum makes the command lines a
/// table that tests can check line by line.
public enum RunscOperation: Sendable, Hashable {
    /// `create --bundle B [--pid-file P] [--console-socket S] [--user-log U] <id>`.
    case create(id: String, CreateOptions)
    /// `start <id>`.
    case start(id: String)
    /// `state <id>`; prints ``RunscState`` JSON.
    case state(id: String)
    /// `wait [--pid N] [--rootpid N] <id>`; prints ``RunscWaitStatus`` JSON.
    case wait(id: String, WaitOptions = WaitOptions())
    /// `kill [--all] [--pid N] <id> <signal>`.
    case kill(id: String, signal: Int32, KillOptions = KillOptions())
    /// `delete [--force] <id>`.
    case delete(id: String, DeleteOptions = DeleteOptions())
    /// `exec --process F [--console-socket S] [--detach] [--pid-file P] [--internal-pid-file Q] <id>`.
    case exec(id: String, ExecOptions)
    /// `ps --format json <id>`; prints a JSON array of pids.
    case ps(id: String)
    /// `events --stats <id>`; prints one ``RunscStats`` event.
    case stats(id: String)
    /// `pause <id>`.
    case pause(id: String)
    /// `resume <id>`.
    case resume(id: String)
    /// `update --resources=- <id>` with the JSON `LinuxResources` on stdin.
    case update(id: String, resources: [UInt8])
    /// `checkpoint --image-path=P [--leave-running] [--direct] <id>`.
    case checkpoint(id: String, CheckpointOptions)

    /// The runsc subcommand name.
    public var subcommand: String {
        switch self {
        case .create: "create"
        case .start: "start"
        case .state: "state"
        case .wait: "wait"
        case .kill: "kill"
        case .delete: "delete"
        case .exec: "exec"
        case .ps: "ps"
        case .stats: "events"
        case .pause: "pause"
        case .resume: "resume"
        case .update: "update"
        case .checkpoint: "checkpoint"
        }
    }

    /// The container the operation is about.
    public var containerID: String {
        switch self {
        case .create(let id, _), .start(let id), .state(let id), .wait(let id, _), .kill(let id, _, _),
            .delete(let id, _), .exec(let id, _), .ps(let id), .stats(let id), .pause(let id), .resume(let id),
            .update(let id, _), .checkpoint(let id, _):
            id
        }
    }

    /// What runsc prints on stdout when the operation succeeds.
    public var output: RunscOutput {
        switch self {
        case .state: .state
        case .wait: .wait
        case .ps: .pids
        case .stats: .stats
        default: .none
        }
    }
}

/// What a runsc command prints on stdout, so a generic caller knows which ``RunscDecoder`` function applies.
public enum RunscOutput: String, Sendable, Hashable, CustomStringConvertible {
    /// Nothing worth decoding.
    case none
    /// `runsc state`: ``RunscState``.
    case state
    /// `runsc wait`: ``RunscWaitStatus``.
    case wait
    /// `runsc ps --format json`: `[pid, …]`.
    case pids
    /// `runsc events --stats`: ``RunscStats``.
    case stats

    public var description: String {
        switch self {
        case .none: "no output"
        case .state: "runsc state output"
        case .wait: "runsc wait output"
        case .pids: "runsc ps output"
        case .stats: "runsc events --stats output"
        }
    }
}
