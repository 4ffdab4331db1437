import Glibc
import HostOS

/// Files in the bundle directory that containerd and the shim exchange (`address`, `shim.pid`,
/// `config.json`, ...). Writes are atomic (HostOS: temp file + fsync + rename)
/// because containerd may read them at any moment, and a torn `address` file strands a container.
struct BundleFiles {
    let directory: String

    func path(_ name: String) -> String { "\(directory)/\(name)" }

    func write(_ name: String, _ contents: String, mode: mode_t = 0o644) throws {
        try HostFile.writeAtomically(contents, to: path(name), mode: mode)
    }

    func read(_ name: String) -> [UInt8]? { try? HostFile.read(path(name)) }

    /// An exec's files in the bundle: `exec.<id>.process.json`, `exec.<id>.pid`, `exec.<id>.internal-pid`.
    ///
    /// Why the `exec.` prefix: with `<id>.pid`, exec ids `init` and `shim` overwrote and then deleted the bundle's
    /// own `init.pid` and `shim.pid`; and why three different suffixes: `<id>-internal.pid` of exec `a` was
    /// `<id>.pid` of exec `a-internal`.
    struct ExecFiles: Sendable, Hashable {
        let processSpec: String
        let pid: String
        let internalPid: String

        init(bundle: String, execID: String) {
            let base = "\(bundle)/exec.\(execID)"
            processSpec = base + ".process.json"
            pid = base + ".pid"
            internalPid = base + ".internal-pid"
        }
    }
}
