import Synchronization

/// runsc.toml files by path: read at every call, parsed again only when their bytes changed.
///
/// TOMLKit 0.6.0 never frees what it parses (`TOMLTable` has no deinit; its key lists and parse-error buffers leak
/// as well; found by `make fuzz` under LeakSanitizer). A shim parsing runsc.toml at every Create would grow with
/// every container of a long-lived pod; through this cache it parses each distinct content of a file once.
public final class RunscShimConfigCache: Sendable {
    private struct Entry: Sendable {
        var bytes: [UInt8]
        var result: Result<RunscShimConfig.Loaded, RunscTOMLError>
    }

    /// How many files are remembered; past that the cache starts over (the memory TOMLKit leaks stays bounded by
    /// the number of distinct contents either way).
    public let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])

    public init(capacity: Int = 8) {
        self.capacity = capacity
    }

    /// What ``RunscShimConfig/load(contentsOfFile:)`` returns or throws for `path`, parsed at most once per content.
    public func load(contentsOfFile path: String) throws(RunscTOMLError) -> RunscShimConfig.Loaded {
        let bytes = try RunscShimConfig.readBytes(path)
        if let entry = entries.withLock({ $0[path] }), entry.bytes == bytes {
            return try entry.result.get()
        }
        let result: Result<RunscShimConfig.Loaded, RunscTOMLError>
        do {
            result = .success(try RunscShimConfig.parse(bytes: bytes, file: path))
        } catch {
            result = .failure(error)
        }
        entries.withLock { entries in
            if entries[path] == nil, entries.count >= capacity { entries.removeAll() }
            entries[path] = Entry(bytes: bytes, result: result)
        }
        return try result.get()
    }
}
