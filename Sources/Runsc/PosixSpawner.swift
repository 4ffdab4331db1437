import Glibc

/// Starts a child with `posix_spawn` and returns its pid; waiting is someone else's job (``ChildWaiter``).
///
/// The child gets exactly three descriptors (0, 1, 2); everything else is closed even if it lacks
/// close-on-exec, so no pipe or socket of the caller leaks into runsc and from there into a long-lived
/// sandbox. Signal dispositions and the signal mask are reset, because the caller (an event loop) may
/// ignore SIGPIPE or block SIGCHLD, and runsc must not inherit that.
public enum PosixSpawner {
    /// Spawns `executable` (looked up in `PATH` when it has no `/`) with `argv` and `environment`
    /// (`nil`: this process's). The three descriptors stay owned by the caller.
    public static func spawn(
        executable: String, argv: [String], environment: [String]? = nil, stdin: Int32, stdout: Int32,
        stderr: Int32
    ) throws(RunscSpawnError) -> Int32 {
        // dup2 into 0/1/2 in order would clobber a source that is itself 0, 1 or 2; move those out of the way.
        var temporaries: [Int32] = []
        defer { temporaries.forEach(POSIX.closeQuietly) }
        var sources: [Int32] = []
        for fd in [stdin, stdout, stderr] {
            guard fd < 3 else {
                sources.append(fd)
                continue
            }
            let copy = fcntl(fd, F_DUPFD_CLOEXEC, 3)
            guard copy >= 0 else { throw RunscSpawnError(executable: executable, errno: errno, operation: "dup") }
            temporaries.append(copy)
            sources.append(copy)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, source) in sources.enumerated() {
            let result = posix_spawn_file_actions_adddup2(&actions, source, Int32(target))
            guard result == 0 else {
                throw RunscSpawnError(executable: executable, errno: result, operation: "posix_spawn_file_actions")
            }
        }
        if let addCloseFrom = POSIX.addCloseFrom {
            _ = addCloseFrom(&actions, 3)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let arguments = CStrings(argv)
        defer { arguments.free() }
        let environmentStrings = environment.map(CStrings.init)
        defer { environmentStrings?.free() }

        var pid: pid_t = 0
        let result = arguments.withPointers { argvPointer in
            let spawnOne = { (envp: UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Int32 in
                executable.contains("/")
                    ? posix_spawn(&pid, executable, &actions, &attributes, argvPointer, envp)
                    : posix_spawnp(&pid, executable, &actions, &attributes, argvPointer, envp)
            }
            if let environmentStrings {
                return environmentStrings.withPointers { spawnOne($0) }
            }
            return spawnOne(UnsafePointer(environ))
        }
        guard result == 0 else { throw RunscSpawnError(executable: executable, errno: result) }
        return pid
    }
}

/// A NUL-terminated `char *[]` that outlives the spawn call.
private struct CStrings {
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
