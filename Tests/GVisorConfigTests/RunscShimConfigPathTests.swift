import Foundation
import GVisorConfig
import Testing

@Suite("runsc.toml paths and %ID%")
struct RunscShimConfigPathTests {
    static let id = try! ContainerID("0123abcd")

    @Test func debugLogTemplateNeedsThePerContainerDirectory() throws {
        let config = try RunscShimConfig.parse(RunscConfigFlags(debug: true).runscTOML()).config
        #expect(config.directoriesToCreate(for: Self.id) == ["/var/log/runsc/0123abcd"])
        #expect(
            config.runscFlags(substitutingID: Self.id) == [
                "--debug=true", "--debug-log=/var/log/runsc/0123abcd/gvisor-%COMMAND%.log",
            ])
    }

    @Test(
        arguments: [
            (["debug-log": "/var/log/runsc/%ID%/gvisor-%COMMAND%.log"], ["/var/log/runsc/0123abcd"]),
            (["panic-log": "/var/log/runsc/%ID%/"], ["/var/log/runsc/0123abcd"]),
            (["log": "/run/x/%ID%.json", "trace": "/tmp/t/%ID%/trace.out"], ["/run/x", "/tmp/t/0123abcd"]),
            (["profile-cpu": "/prof/%COMMAND%/%ID%/cpu.pprof"], ["/prof"]),
            (["debug-log": "relative/%ID%/x.log"], []),
            (["debug-log": "/debug.log"], []),
            (["platform": "/not/a/path/%ID%/x"], []),
            (
                ["debug-log": "/var/log/runsc/%ID%/a.log", "panic-log": "/var/log/runsc/%ID%/b.log"],
                ["/var/log/runsc/0123abcd"]
            ),
        ] as [([String: String], [String])])
    func directoriesComeFromPathFlags(runscConfig: [String: String], expected: [String]) {
        let config = RunscShimConfig(runscConfig: runscConfig)
        #expect(config.directoriesToCreate(for: Self.id) == expected)
    }

    @Test func pathFlagDirectoriesNameTheFlag() {
        let config = RunscShimConfig(
            logPath: "/var/log/shims/",
            runscConfig: [
                "panic-log": "/p/%ID%/", "debug-log": "/var/log/runsc/%ID%/gvisor-%COMMAND%.log", "debug": "true",
                "trace": "relative.out",
            ])
        let pairs = config.pathFlagDirectories(for: Self.id).map { "\($0.flag)=\($0.directory)" }
        #expect(pairs == ["debug-log=/var/log/runsc/0123abcd", "panic-log=/p/0123abcd"])
    }

    @Test func shimLogPathIsIncluded() {
        let file = RunscShimConfig(logPath: "/var/log/runsc/%ID%/shim.log")
        #expect(file.shimLogPath(for: Self.id) == "/var/log/runsc/0123abcd/shim.log")
        #expect(file.directoriesToCreate(for: Self.id) == ["/var/log/runsc/0123abcd"])

        let directory = RunscShimConfig(logPath: "/var/log/shims/")
        #expect(directory.shimLogPath(for: Self.id) == "/var/log/shims/runsc-shim-0123abcd.log")
        #expect(directory.directoriesToCreate(for: Self.id) == ["/var/log/shims"])
        #expect(RunscShimConfig().shimLogPath(for: Self.id) == nil)
    }

    @Test func idIsSubstitutedInEveryValueButOnlyPathFlagsMakeDirectories() {
        let config = RunscShimConfig(runscConfig: ["label": "sandbox-%ID%", "debug": "true"])
        #expect(config.runscFlags(substitutingID: Self.id) == ["--debug=true", "--label=sandbox-0123abcd"])
        #expect(config.runscFlags == ["--debug=true", "--label=sandbox-%ID%"])
        #expect(config.directoriesToCreate(for: Self.id).isEmpty)
    }

    @Test(arguments: [
        ("/var/log/runsc", "/tmp/t", "/var/log/runsc/%ID%/x.log", "/tmp/t/%ID%/x.log"),
        ("/var/log/runsc/", "/tmp/t/", "/var/log/runsc/%ID%/x.log", "/tmp/t/%ID%/x.log"),
        ("/var/log/runsc", "/tmp/t", "/var/log/runsc", "/tmp/t"),
        ("/var/log/runsc", "/tmp/t", "/var/log/runsc2/x.log", "/var/log/runsc2/x.log"),
        ("/var/log/runsc", "/tmp/t", "/elsewhere/x.log", "/elsewhere/x.log"),
        ("/", "/tmp/t", "/var/log/x.log", "/tmp/t/var/log/x.log"),
    ])
    func rewritingMatchesWholeComponents(prefix: String, replacement: String, path: String, expected: String) {
        let config = RunscShimConfig(logPath: path, runscConfig: ["debug-log": path, "platform": path])
        let rewritten = config.rewritingPathPrefix(prefix, to: replacement)
        #expect(rewritten.logPath == expected)
        #expect(rewritten.runscConfig["debug-log"] == expected)
        #expect(rewritten.runscConfig["platform"] == path, "only path flags move")
    }

    /// The use the rewrite exists for: a test points the real debug-log layout at a temporary directory and
    /// creates what the shim would create.
    @Test func rewrittenDirectoriesCanBeCreatedUnderATemporaryRoot() throws {
        let root = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(root) }
        let config = try RunscShimConfig.parse(RunscConfigFlags(debug: true).runscTOML()).config
            .rewritingPathPrefix("/var/log/runsc", to: root + "/logs")
        let directories = config.directoriesToCreate(for: Self.id)
        #expect(directories == [root + "/logs/0123abcd"])
        for directory in directories {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: root + "/logs/0123abcd", isDirectory: &isDirectory))
        #expect(isDirectory.boolValue)
        #expect(
            config.runscFlags(substitutingID: Self.id).contains(
                "--debug-log=\(root)/logs/0123abcd/gvisor-%COMMAND%.log"))
    }
}
