import FuzzSupport

#if LIBFUZZER
    @_cdecl("gvisor_config_fuzz_main")
    public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        FuzzEntry.runDriver(argc: argc, argv: argv, harness: { _ = GVisorConfigFuzzHarness.run($0) })
    }
#else
    @main
    struct FuzzReplay {
        static func main() throws {
            try FuzzEntry.replay(
                tool: "gvisor-config-fuzz", arguments: Array(CommandLine.arguments.dropFirst()),
                harness: { _ = GVisorConfigFuzzHarness.run($0) })
        }
    }
#endif
