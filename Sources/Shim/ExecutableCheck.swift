import FoundationEssentials
import Glibc
import HostOS

/// runc fails Create when the process's executable is missing (libcontainer looks `args[0]` up before it waits
/// for Start); `runsc create` succeeds and the container only fails at Start. This check gives Create runc's
/// answer: it resolves `args[0]` the way gVisor's sentry does (absolute as is, a name with `/` against `cwd`,
/// otherwise each absolute entry of the first `PATH` in the process's environment) inside the rootfs, following symlinks
/// within the rootfs and never on the host.
///
/// When the answer cannot be known from the rootfs (the path or a `PATH` entry lies on one of the spec's mounts,
/// or a directory cannot be read) the check passes, and runsc's own error at Start stays the fallback.
struct ExecutableCheck {
    struct Spec: Decodable {
        var process: Process?
        var root: Root?
        var mounts: [Mount]?

        struct Process: Decodable {
            var args: [String]?
            var env: [String]?
            var cwd: String?
        }

        struct Root: Decodable {
            var path: String?
        }

        struct Mount: Decodable {
            var destination: String?
        }
    }

    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    /// The rootfs on the host.
    let rootfs: String
    let spec: Spec

    init(rootfs: String, spec: Spec) {
        self.rootfs = rootfs
        self.spec = spec
    }

    /// The bundle's config.json, with its root resolved against the bundle; nil when it cannot be read.
    init?(bundle: String) {
        guard let bytes = try? HostFile.read("\(bundle)/config.json"),
            let spec = try? JSONDecoder().decode(Spec.self, from: Data(bytes))
        else { return nil }
        let path = spec.root?.path.flatMap { $0.isEmpty ? nil : $0 } ?? "rootfs"
        self.init(rootfs: path.hasPrefix("/") ? path : "\(bundle)/\(path)", spec: spec)
    }

    /// Throws runc's error (`exec: "x": executable file not found in $PATH`) when the executable is certainly
    /// not there.
    func check() throws(Missing) {
        guard let name = spec.process?.args?.first, !name.isEmpty else { return }
        if name.hasPrefix("/") || name.contains("/") {
            let cwd = spec.process?.cwd.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/"
            let path = name.hasPrefix("/") ? name : "\(cwd)/\(name)"
            if case .missing(let reason) = lookUp(path) {
                throw Missing(description: "exec: \"\(name)\": stat \(path): \(reason) (in the rootfs \(rootfs))")
            }
            return
        }
        let pathVariable = spec.process?.env?.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) }
        let directories = (pathVariable ?? "").split(separator: ":", omittingEmptySubsequences: false)
            .map(String.init).filter { $0.hasPrefix("/") }
        for directory in directories {
            switch lookUp("\(directory)/\(name)") {
            case .found, .unknown: return
            case .missing: continue
            }
        }
        throw Missing(
            description: "exec: \"\(name)\": executable file not found in $PATH "
                + "(PATH=\(pathVariable ?? "") in the process's env, looked up in the rootfs \(rootfs))")
    }

    enum Lookup: Equatable {
        case found
        case missing(String)
        /// Not decidable from the rootfs: a mount covers it, or something could not be read.
        case unknown
    }

    /// Whether `path` (absolute, in the container) is an executable file of the rootfs.
    func lookUp(_ path: String) -> Lookup {
        var pending = components(path)
        var resolved: [String] = []
        var links = 0
        while !pending.isEmpty {
            let component = pending.removeFirst()
            if component == ".." {
                _ = resolved.popLast()
                continue
            }
            resolved.append(component)
            let inContainer = "/" + resolved.joined(separator: "/")
            if isCoveredByMount(inContainer) { return .unknown }
            let host = rootfs + inContainer
            var info = stat()
            guard lstat(host, &info) == 0 else {
                let missing = errno == ENOENT || errno == ENOTDIR
                // A mount below this point creates it (a volume at /opt/tools in an image without /opt).
                return missing && !hasMountBelow(inContainer) ? .missing(String(cString: strerror(errno))) : .unknown
            }
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                links += 1
                guard links <= 40, let target = readLink(host) else { return .unknown }
                resolved.removeLast()
                if target.hasPrefix("/") { resolved = [] }
                pending = components(target) + pending
            case S_IFDIR:
                if pending.isEmpty { return .missing("is a directory") }
            default:
                if !pending.isEmpty { return .missing(String(cString: strerror(ENOTDIR))) }
                if info.st_mode & 0o111 == 0 { return .missing(String(cString: strerror(EACCES))) }
            }
        }
        return resolved.isEmpty ? .missing("is a directory") : .found
    }

    /// A path of the container at or below one of the spec's mount destinations (other than `/`).
    private func isCoveredByMount(_ path: String) -> Bool {
        for mount in spec.mounts ?? [] {
            guard let destination = mount.destination else { continue }
            let normalized = "/" + components(destination).joined(separator: "/")
            if normalized == "/" { continue }
            if path == normalized || path.hasPrefix(normalized + "/") { return true }
        }
        return false
    }

    private func hasMountBelow(_ path: String) -> Bool {
        (spec.mounts ?? []).contains { mount in
            mount.destination.map { "/" + components($0).joined(separator: "/") }?.hasPrefix(path + "/") ?? false
        }
    }

    private func components(_ path: String) -> [String] {
        path.split(separator: "/").map(String.init).filter { $0 != "." }
    }

    private func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
