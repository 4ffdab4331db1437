import CShim
import Glibc

/// Launches the shim daemon for `start`: the same executable, in a new session, with the listening
/// socket as fd 3 and stdio on /dev/null, so containerd's read of `start`'s output ends when
/// `start` exits rather than when the daemon does.
public enum DaemonLauncher {
    public static func spawn(
        executable: String = "/proc/self/exe", argv0: String, flags: ShimFlags, listener: CInt,
        environment: [String: String]
    ) throws(SystemError) -> pid_t {
        // dup2 onto fd 3 clears close-on-exec only when the numbers differ.
        let source = fcntl(listener, F_DUPFD_CLOEXEC, 10)
        guard source >= 0 else { throw SystemError(operation: "fcntl(F_DUPFD_CLOEXEC)", errno: errno) }
        defer { close(source) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, source, 3)

        let arguments = [argv0] + flags.daemonArguments()
        let env = environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let rc = withDefaultSignals(extraFlags: cshim_posix_spawn_setsid()) { attributes in
            withCStrings(arguments) { argv in
                withCStrings(env) { envp in posix_spawn(&pid, executable, &actions, &attributes, argv, envp) }
            }
        }
        guard rc == 0 else { throw SystemError(operation: "spawn shim daemon \(executable)", errno: rc) }
        return pid
    }
}

/// Calls `body` with a NULL-terminated C string array.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}

/// posix_spawn attributes that give the child default signal handlers and an empty signal mask:
/// the shim blocks and ignores signals its children must not inherit that way.
func withDefaultSignals<R>(extraFlags: Int16 = 0, _ body: (inout posix_spawnattr_t) -> R) -> R {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var all = sigset_t()
    var none = sigset_t()
    sigfillset(&all)
    sigemptyset(&none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK) | extraFlags)
    return body(&attributes)
}
