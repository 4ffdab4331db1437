import CShim
import Glibc

/// One way to start a child process: `posix_spawn` with an explicit descriptor table, default signal
/// dispositions and an empty signal mask. Waiting is the caller's business (``WaitStatus/wait(for:)`` or a
/// subreaper's loop).
///
/// The child gets exactly the descriptors listed in ``descriptors`` (0, 1, 2, …); everything else is closed
/// even without close-on-exec, so no pipe or socket of the caller leaks into a long-lived child. Signals are
/// reset because the caller (an event loop, the shim) may ignore SIGPIPE or block SIGCHLD.
public struct Spawn: Sendable {
    /// What one of the child's descriptors is.
    public enum Descriptor: Sendable, Hashable {
        /// `/dev/null`, opened read-only for descriptor 0 and write-only otherwise.
        case null
        /// A duplicate of this descriptor of the caller (which keeps owning it).
        case duplicate(Int32)
    }

    /// A path, or a name looked up in `PATH` when it has no `/`.
    public var executable: String
    /// The whole argv, argv[0] included.
    public var arguments: [String]
    /// `KEY=value` entries; nil passes this process's environment.
    public var environment: [String]?
    /// The child's descriptors 0, 1, 2, … in order.
    public var descriptors: [Descriptor]
    /// Start the child in a new session (setsid), so it outlives its parent's terminal and process group.
    public var newSession = false
    /// Put the child into this process group (0: a new group led by the child); nil keeps the caller's.
    public var processGroup: pid_t?

    public init(
        executable: String, arguments: [String], environment: [String]? = nil,
        descriptors: [Descriptor] = [.null, .null, .null]
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.descriptors = descriptors
    }

    /// Starts the child and returns its pid.
    public func start() throws(SpawnError) -> pid_t {
        // dup2 onto a target that is itself a later source would clobber it, and dup2 onto the same number
        // keeps close-on-exec: move every source below the table's end out of the way first.
        var temporaries: [Int32] = []
        defer { for fd in temporaries { _ = close(fd) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let count = Int32(descriptors.count)
        for (index, descriptor) in descriptors.enumerated() {
            let target = Int32(index)
            let result: Int32
            switch descriptor {
            case .null:
                result = posix_spawn_file_actions_addopen(
                    &actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .duplicate(var source):
                if source < count {
                    let copy = fcntl(source, F_DUPFD_CLOEXEC, count)
                    guard copy >= 0 else { throw SpawnError(executable: executable, errno: errno, operation: "dup") }
                    temporaries.append(copy)
                    source = copy
                }
                result = posix_spawn_file_actions_adddup2(&actions, source, target)
            }
            guard result == 0 else {
                throw SpawnError(executable: executable, errno: result, operation: "posix_spawn_file_actions")
            }
        }
        if let addCloseFrom = Self.addCloseFrom { _ = addCloseFrom(&actions, count) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        var flags = Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        if newSession { flags |= cshim_posix_spawn_setsid() }
        if let processGroup {
            flags |= Int16(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, processGroup)
        }
        posix_spawnattr_setflags(&attributes, flags)

        let argv = CStringArray(arguments)
        defer { argv.free() }
        let envp = environment.map(CStringArray.init)
        defer { envp?.free() }
        var pid: pid_t = 0
        let result = argv.withPointers { argvPointer in
            let spawnOne = { (envPointer: UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Int32 in
                executable.contains("/")
                    ? posix_spawn(&pid, executable, &actions, &attributes, argvPointer, envPointer)
                    : posix_spawnp(&pid, executable, &actions, &attributes, argvPointer, envPointer)
            }
            if let envp { return envp.withPointers { spawnOne($0) } }
            return spawnOne(UnsafePointer(environ))
        }
        guard result == 0 else { throw SpawnError(executable: executable, errno: result, operation: "posix_spawn") }
        return pid
    }

    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    /// glibc 2.34's `posix_spawn_file_actions_addclosefrom_np`, which the Glibc module does not import.
    static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: AddCloseFrom.self)
    }
}

/// The child could not be started.
public struct SpawnError: Error, Sendable, Hashable, CustomStringConvertible {
    public var executable: String
    /// From `posix_spawn` or from preparing its descriptors.
    public var errno: Int32
    /// What was being done when it failed.
    public var operation: String

    public init(executable: String, errno: Int32, operation: String) {
        self.executable = executable
        self.errno = errno
        self.operation = operation
    }

    public var description: String {
        "cannot start \(executable): \(operation): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// A NUL-terminated `char *[]` that outlives the spawn call.
private struct CStringArray {
    let pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) } + [nil]
    }

    func withPointers<R>(_ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    func free() {
        for pointer in pointers { Glibc.free(pointer) }
    }
}
