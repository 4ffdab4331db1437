import Glibc
import HostOS

/// Starts runsc with the host layer's ``Spawn`` and returns its pid; waiting is someone else's job
/// (``ChildWaiter``).
///
/// The child gets exactly three descriptors (0, 1, 2); everything else is closed, so no pipe or socket of the
/// caller leaks into runsc and from there into a long-lived sandbox. Signal dispositions and the mask are reset.
public enum PosixSpawner {
    /// Spawns `executable` (looked up in `PATH` when it has no `/`) with `argv` and `environment`
    /// (`nil`: this process's). The three descriptors stay owned by the caller.
    public static func spawn(
        executable: String, argv: [String], environment: [String]? = nil, stdin: Int32, stdout: Int32,
        stderr: Int32
    ) throws(RunscSpawnError) -> Int32 {
        let spawn = Spawn(
            executable: executable, arguments: argv, environment: environment,
            descriptors: [.duplicate(stdin), .duplicate(stdout), .duplicate(stderr)])
        do {
            return try spawn.start()
        } catch {
            throw RunscSpawnError(executable: executable, errno: error.errno, operation: error.operation)
        }
    }
}
