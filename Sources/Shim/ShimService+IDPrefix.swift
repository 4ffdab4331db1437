import Glibc

/// runsc resolves the id of every command but `create` and `list` by prefix (container.Load without
/// LoadOpts.Exact, in 20221219 and 20240729 alike): with `web` and `web-2` under one runsc root, `runsc kill web`
/// fails as "ambiguous and could refer to multiple containers". runsc has no exact form on its command line, so
/// Create refuses an id that is a prefix of, or prefixed by, a container runsc already knows in the same root.
extension ShimService {
    /// The container ids of runsc's state files (`<sandbox>_sandbox:<container>.state`) in `runscRoot`.
    static func runscContainerIDs(runscRoot: String) -> [String] {
        (directoryEntries(runscRoot) ?? []).compactMap { name in
            guard name.hasSuffix(".state"), let marker = name.firstRange(of: "_sandbox:") else { return nil }
            return String(name[marker.upperBound...].dropLast(".state".count))
        }
    }

    static func checkIDPrefixes(_ id: String, runscRoot: String) throws {
        for other in runscContainerIDs(runscRoot: runscRoot).sorted() where other != id {
            let relation: String
            if other.hasPrefix(id) {
                relation = "is a prefix of \"\(other)\""
            } else if id.hasPrefix(other) {
                relation = "has the prefix \"\(other)\""
            } else {
                continue
            }
            throw ShimError.failedPrecondition(
                "id \"\(id)\" \(relation), a container in runsc root \(runscRoot): runsc looks ids up by prefix, so "
                    + "commands for the shorter id would be ambiguous; choose an id that is neither a prefix of "
                    + "another container's id in this namespace nor prefixed by one")
        }
    }
}
