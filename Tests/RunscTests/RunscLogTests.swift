import Glibc
import Testing

@testable import Runsc

struct RunscLogTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var log: String
        var expected: String?
        var testDescription: String { name }
    }

    @Test(arguments: [
        Case(name: "empty", log: "", expected: nil),
        Case(
            name: "runsc 20221219 writes objects back to back",
            log:
                #"{"msg":"getting processes: cannot get processes of container \"m1\" in state stopped","level":"error","time":"t1"}{"msg":"loading container: file does not exist","level":"error","time":"t2"}"#,
            expected: "loading container: file does not exist"),
        Case(
            name: "newline separated, later warnings ignored",
            log: """
                {"level":"info","msg":"starting"}
                {"level":"error","msg":"  creating container: cannot open rootfs  \\n","time":"t"}
                {"level":"warning","msg":"cleanup"}
                {"level":"debug","msg":"done"}

                """,
            expected: "creating container: cannot open rootfs"),
        Case(name: "no error entries", log: #"{"level":"info","msg":"a"}{"level":"warning","msg":"b"}"#, expected: nil),
        Case(
            name: "braces and escaped quotes inside strings",
            log: #"{"level":"error","msg":"bad spec {\"a\": \"}\"}","x":{"y":[1,{"z":2}]}}"#,
            expected: #"bad spec {"a": "}"}"#),
        Case(
            name: "truncated last entry is ignored",
            log: #"{"level":"error","msg":"first"}{"level":"error","msg":"sec"#, expected: "first"),
        Case(
            name: "garbage between and malformed entries are skipped",
            log:
                #"panic: x {"level":"error","msg":"kept"} junk {"level":"error","msg":} {"level":"error"}{"msg":"no level"}"#,
            expected: "kept"),
        Case(
            name: "empty message does not replace an earlier one",
            log: #"{"level":"error","msg":"a"}{"level":"error","msg":" "}"#, expected: "a"),
        Case(name: "unicode message", log: #"{"level":"error","msg":"caf\u00e9 ✓"}"#, expected: "café ✓"),
    ])
    func lastError(_ example: Case) {
        #expect(RunscLog.lastError(in: Array(example.log.utf8)) == example.expected)
    }

    @Test func readsOnlyWhatWasAppendedAfterTheOffset() throws {
        let path = try TemporaryDirectory.make() + "/log.json"
        defer { TemporaryDirectory.remove(parentOf: path) }
        try writeFile(path, #"{"level":"error","msg":"old failure"}"#)
        let offset = try #require(POSIX.fileSize(path))
        #expect(RunscLog.lastError(atPath: path, from: offset) == nil)
        try appendFile(path, #"{"level":"info","msg":"x"}{"level":"error","msg":"new failure"}"#)
        #expect(RunscLog.lastError(atPath: path, from: offset) == "new failure")
        #expect(RunscLog.lastError(atPath: path) == "new failure")
        // A log shorter than the offset was replaced: read it all.
        try writeFile(path, #"{"level":"error","msg":"rotated"}"#)
        #expect(RunscLog.lastError(atPath: path, from: 10_000) == "rotated")
        #expect(RunscLog.lastError(atPath: path + ".missing") == nil)
    }
}
