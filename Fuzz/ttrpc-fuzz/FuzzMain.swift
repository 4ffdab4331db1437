import FuzzSupport

#if LIBFUZZER
    @_cdecl("ttrpc_fuzz_main")
    public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        FuzzEntry.runDriver(argc: argc, argv: argv, harness: FuzzHarness.run)
    }
#else
    /// Also `--write-seeds DIR`: writes the seed corpus.
    @main
    struct FuzzReplay {
        static func main() throws {
            let arguments = Array(CommandLine.arguments.dropFirst())
            if arguments.first == "--write-seeds" {
                guard arguments.count == 2 else {
                    throw FuzzReplayError(description: "usage: ttrpc-fuzz --write-seeds DIR")
                }
                try SeedCorpus.write(to: arguments[1])
                return
            }
            try FuzzEntry.replay(tool: "ttrpc-fuzz", arguments: arguments, harness: FuzzHarness.run)
        }
    }
#endif
