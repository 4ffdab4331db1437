#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The entry points every fuzz target shares: libFuzzer's driver when built with `-sanitize=fuzzer`
/// (`-DLIBFUZZER`, scripts/fuzz.sh), otherwise a replay of inputs through the same harness, e.g. a crash artifact
/// after its fix. A target's `main` only names its harness.
public enum FuzzEntry {
    public typealias Harness = ([UInt8]) -> Void

    #if LIBFUZZER
        /// The one harness of this process; libFuzzer's callback is a C function and cannot capture it.
        nonisolated(unsafe) static var harness: Harness = { _ in }

        /// Hands control to libFuzzer's driver. SwiftPM links executables with `main` aliased to
        /// `<module>_main`, so libFuzzer's own `main` never runs: a target's `<module>_main` calls this.
        public static func runDriver(
            argc: CInt, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, harness: @escaping Harness
        ) -> CInt {
            Self.harness = harness
            var argc = argc
            var argv = argv
            return runFuzzerDriver(&argc, &argv, fuzzOneInput)
        }
    #endif

    /// Replays `arguments` (files, or every file of a directory, sorted) through `harness`, printing one line
    /// per input; `tool` names the program in the usage error.
    public static func replay(tool: String, arguments: [String], harness: Harness) throws {
        if arguments.isEmpty || arguments.contains("--help") {
            throw FuzzReplayError(description: "usage: \(tool) INPUT... (files or directories to replay)")
        }
        for path in try arguments.flatMap(expand) {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw FuzzReplayError(description: "cannot read \(path)")
            }
            harness(Array(data))
            print("ok \(path) (\(data.count) bytes)")
        }
    }

    private static func expand(_ path: String) throws -> [String] {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FuzzReplayError(description: "\(path): no such file or directory")
        }
        guard isDirectory else { return [path] }
        return try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 }
    }
}

public struct FuzzReplayError: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) { self.description = description }
}

#if LIBFUZZER
    /// libFuzzer's per-input callback.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        FuzzEntry.harness(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }

    @_extern(c, "LLVMFuzzerRunDriver")
    func runFuzzerDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt
#endif
