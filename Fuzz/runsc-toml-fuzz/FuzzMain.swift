import FuzzSupport

#if LIBFUZZER
    @_cdecl("runsc_toml_fuzz_main")
    public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        FuzzEntry.runDriver(argc: argc, argv: argv, harness: { _ = RunscTOMLFuzzHarness.run($0) })
    }
#else
    @main
    struct FuzzReplay {
        static func main() throws {
            try FuzzEntry.replay(
                tool: "runsc-toml-fuzz", arguments: Array(CommandLine.arguments.dropFirst()),
                harness: { _ = RunscTOMLFuzzHarness.run($0) })
        }
    }
#endif
