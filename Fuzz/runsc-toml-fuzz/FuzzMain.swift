#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if LIBFUZZER
    /// libFuzzer's per-input callback.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        RunscTOMLFuzzHarness.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }

    @_extern(c, "LLVMFuzzerRunDriver")
    func runFuzzerDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    /// SwiftPM links executables with `main` aliased to `<module>_main`, so libFuzzer's own `main` never runs;
    /// this is that entry point, handing control to libFuzzer's driver.
    @_cdecl("runsc_toml_fuzz_main")
    public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        var argc = argc
        var argv = argv
        return runFuzzerDriver(&argc, &argv, fuzzOneInput)
    }
#else
    /// Without libFuzzer: replays inputs (files, or every file in a directory) through the harness, e.g. a crash
    /// artifact after its fix.
    @main
    struct FuzzReplay {
        static func main() throws {
            let arguments = Array(CommandLine.arguments.dropFirst())
            if arguments.isEmpty || arguments.contains("--help") {
                throw ReplayError(description: "usage: runsc-toml-fuzz INPUT... (files or directories to replay)")
            }
            for path in try arguments.flatMap(expand) {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ReplayError(description: "cannot read \(path)")
                }
                RunscTOMLFuzzHarness.run(Array(data))
                print("ok \(path) (\(data.count) bytes)")
            }
        }

        private static func expand(_ path: String) throws -> [String] {
            var isDirectory = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ReplayError(description: "\(path): no such file or directory")
            }
            guard isDirectory else { return [path] }
            return try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 }
        }
    }
#endif

struct ReplayError: Error, CustomStringConvertible {
    var description: String
}
