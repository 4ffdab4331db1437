import GVisorConfig
import Glibc

/// Files in the bundle directory that containerd and the shim exchange (`address`, `shim.pid`,
/// `config.json`, ...). Writes are atomic (GVisorConfig's `ConfigFile`: temp file + rename)
/// because containerd may read them at any moment, and a torn `address` file strands a container.
struct BundleFiles {
    let directory: String

    func path(_ name: String) -> String { "\(directory)/\(name)" }

    func write(_ name: String, _ contents: String, mode: mode_t = 0o644) throws {
        try ConfigFile.writeAtomically(contents, to: path(name), mode: mode)
    }

    func read(_ name: String) -> [UInt8]? { readFile(path(name)) }

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

/// The whole file, or nil when it cannot be read.
func readFile(_ path: String) -> [UInt8]? { try? ConfigFile.readBytes(path) }

/// The names in a directory, without `.` and `..`; nil (with `errno` set) when it cannot be opened.
func directoryEntries(_ path: String) -> [String]? {
    guard let directory = opendir(path) else { return nil }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}
