import Glibc
import HostOS

/// Launches the shim daemon for `start`: the same executable, in a new session, with the listening
/// socket as fd 3 and stdio on /dev/null, so containerd's read of `start`'s output ends when
/// `start` exits rather than when the daemon does.
public enum DaemonLauncher {
    public static func spawn(
        executable: String = "/proc/self/exe", argv0: String, flags: ShimFlags, listener: CInt,
        environment: [String: String]
    ) throws(SystemError) -> pid_t {
        var spawn = Spawn(
            executable: executable, arguments: [argv0] + flags.daemonArguments(),
            environment: environment.map { "\($0.key)=\($0.value)" },
            descriptors: [.null, .null, .null, .duplicate(listener)])
        spawn.newSession = true
        do {
            return try spawn.start()
        } catch {
            throw SystemError(operation: "spawn shim daemon \(executable): \(error.operation)", errno: error.errno)
        }
    }
}
