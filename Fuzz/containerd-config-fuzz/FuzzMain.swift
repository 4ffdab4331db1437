import FuzzSupport

#if LIBFUZZER
    @_cdecl("containerd_config_fuzz_main")
    public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        FuzzEntry.runDriver(argc: argc, argv: argv, harness: { _ = ContainerdConfigFuzzHarness.run($0) })
    }
#else
    @main
    struct FuzzReplay {
        static func main() throws {
            try FuzzEntry.replay(
                tool: "containerd-config-fuzz", arguments: Array(CommandLine.arguments.dropFirst()),
                harness: { _ = ContainerdConfigFuzzHarness.run($0) })
        }
    }
#endif
