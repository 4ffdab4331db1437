import Testing

@testable import Runsc

struct DecoderTests {
    // MARK: state

    struct StateCase: Sendable, CustomTestStringConvertible {
        var json: String
        var expected: RunscState
        var testDescription: String { json }
    }

    @Test(arguments: [
        // runsc 20221219, verbatim.
        StateCase(
            json: """
                {
                  "ociVersion": "1.0.2-dev",
                  "id": "m1",
                  "status": "created",
                  "pid": 8880,
                  "bundle": "/run/containerd/io.containerd.runtime.v2.task/k8s.io/m1"
                }
                """,
            expected: RunscState(
                id: "m1", status: .created, pid: 8880,
                bundle: "/run/containerd/io.containerd.runtime.v2.task/k8s.io/m1", ociVersion: "1.0.2-dev")),
        StateCase(
            json: #"{"ociVersion":"1.0.2-dev","id":"m1","status":"stopped","pid":-1,"bundle":"/b"}"#,
            expected: RunscState(id: "m1", status: .stopped, pid: -1, bundle: "/b", ociVersion: "1.0.2-dev")),
        StateCase(
            json: #"{"id":"c","status":"paused","pid":5,"created":"2026-11-25T04:30:59.063Z","annotations":{"a":"b"}}"#,
            expected: RunscState(
                id: "c", status: .paused, pid: 5, created: "2026-11-25T04:30:59.063Z", annotations: ["a": "b"])),
        StateCase(json: #"{"id":"c","status":"running"}"#, expected: RunscState(id: "c", status: .running)),
        StateCase(
            json: #"{"id":"c","status":"creating","owner":"","rootfs":"/r"}"#,
            expected: RunscState(id: "c", status: .creating)),
        StateCase(
            json: #"{"id":"c","status":"restoring"}"#, expected: RunscState(id: "c", status: .unknown("restoring"))),
    ])
    func state(_ example: StateCase) throws {
        #expect(try RunscDecoder.state(Array(example.json.utf8)) == example.expected)
    }

    @Test func statusNamesRoundTrip() {
        for name in ["creating", "created", "running", "paused", "stopped", "gone"] {
            #expect(RunscStatus(name).description == name)
        }
    }

    // MARK: wait, ps

    @Test(arguments: [
        (#"{"id":"lw1","exitStatus":137}"#, RunscWaitStatus(id: "lw1", exitStatus: 137)),
        (#"{"id":"x","exitStatus":0}"#, RunscWaitStatus(id: "x", exitStatus: 0)),
        ("{\"exitStatus\":3}\n", RunscWaitStatus(exitStatus: 3)),
    ])
    func wait(_ json: String, _ expected: RunscWaitStatus) throws {
        #expect(try RunscDecoder.wait(Array(json.utf8)) == expected)
    }

    @Test(arguments: [
        ("[1]", [Int32(1)]),
        ("[1,17,42]\n", [1, 17, 42]),
        ("[]", []),
        ("null", []),
        (" null\n", []),
    ])
    func pids(_ json: String, _ expected: [Int32]) throws {
        #expect(try RunscDecoder.pids(Array(json.utf8)) == expected)
    }

    // MARK: events --stats

    @Test func statsFromRunsc20221219() throws {
        let json = """
            {"type":"stats","id":"m1","data":{"cpu":{"usage":{"total":122404101}},"memory":{"usage":{"limit":0,\
            "usage":2027520,"failcnt":0},"swap":{"limit":0,"failcnt":0},"kernel":{"limit":0,"failcnt":0},\
            "kernelTCP":{"limit":0,"failcnt":0}},"pids":{"current":1}}}
            """
        let stats = try RunscDecoder.stats(Array(json.utf8))
        #expect(
            stats
                == RunscStats(
                    id: "m1", cpu: .init(usage: .init(total: 122_404_101)),
                    memory: .init(usage: .init(usage: 2_027_520)), pids: .init(current: 1)))
    }

    @Test func statsWithEveryCounter() throws {
        let json = """
            {"type":"stats","id":"c","data":{
              "cpu":{"usage":{"total":30,"kernel":10,"user":20,"percpu":[12,18]},
                     "throttling":{"periods":5,"throttledPeriods":2,"throttledTime":900}},
              "memory":{"cache":4096,"usage":{"usage":100,"max":200,"limit":300,"failcnt":1},
                        "swap":{"usage":1,"max":2,"limit":3,"failcnt":4},"kernel":{"usage":5},
                        "kernelTCP":{"max":6},"raw":{"rss":77,"mapped_file":8}},
              "pids":{"current":3,"limit":64},
              "network_interfaces":[{"name":"eth0"}],"RootFs":{"time":1}}}
            """
        let stats = try RunscDecoder.stats(Array(json.utf8))
        let expected = RunscStats(
            id: "c",
            cpu: .init(
                usage: .init(total: 30, kernel: 10, user: 20, perCPU: [12, 18]),
                throttling: .init(periods: 5, throttledPeriods: 2, throttledTime: 900)),
            memory: .init(
                cache: 4096, usage: .init(usage: 100, max: 200, limit: 300, failcnt: 1),
                swap: .init(usage: 1, max: 2, limit: 3, failcnt: 4), kernel: .init(usage: 5),
                kernelTCP: .init(max: 6), raw: ["rss": 77, "mapped_file": 8]),
            pids: .init(current: 3, limit: 64))
        #expect(stats == expected)
    }

    @Test(arguments: [
        (#"{"type":"stats","data":{}}"#, RunscStats()),
        (#"{"type":"stats","id":"a","data":{"pids":{}}}"#, RunscStats(id: "a", pids: .init())),
        (#"{"type":"stats","data":{"cpu":{},"memory":{}}}"#, RunscStats(cpu: .init(), memory: .init())),
    ])
    func statsToleratesMissingParts(_ json: String, _ expected: RunscStats) throws {
        #expect(try RunscDecoder.stats(Array(json.utf8)) == expected)
    }

    // MARK: malformed output

    enum Expectation: Sendable {
        case exactly(RunscOutputError)
        case malformedJSON(RunscOutput)
    }

    struct MalformedCase: Sendable, CustomTestStringConvertible {
        var output: RunscOutput
        var text: String
        var expectation: Expectation
        var testDescription: String { "\(output): \(text)" }
    }

    static func decode(_ output: RunscOutput, _ text: String) throws {
        let bytes = Array(text.utf8)
        switch output {
        case .state: _ = try RunscDecoder.state(bytes)
        case .wait: _ = try RunscDecoder.wait(bytes)
        case .pids: _ = try RunscDecoder.pids(bytes)
        case .stats: _ = try RunscDecoder.stats(bytes)
        case .none: break
        }
    }

    @Test(arguments: [
        MalformedCase(output: .state, text: "", expectation: .exactly(.empty(output: .state))),
        MalformedCase(output: .wait, text: " \n", expectation: .exactly(.empty(output: .wait))),
        MalformedCase(output: .state, text: #"{"id":"#, expectation: .malformedJSON(.state)),
        MalformedCase(output: .pids, text: "[1,", expectation: .malformedJSON(.pids)),
        MalformedCase(
            output: .stats, text: "loading container: file does not exist", expectation: .malformedJSON(.stats)),
        MalformedCase(
            output: .state, text: #"{"status":"running"}"#,
            expectation: .exactly(.missingField(output: .state, field: "id"))),
        MalformedCase(
            output: .state, text: #"{"id":"c"}"#, expectation: .exactly(.missingField(output: .state, field: "status"))),
        MalformedCase(
            output: .state, text: #"{"id":7,"status":"running"}"#,
            expectation: .exactly(.wrongType(output: .state, field: "id", expected: "a string"))),
        MalformedCase(
            output: .state, text: #"{"id":"c","status":"running","pid":"12"}"#,
            expectation: .exactly(.wrongType(output: .state, field: "pid", expected: "an integer"))),
        MalformedCase(
            output: .state, text: "null",
            expectation: .exactly(.wrongType(output: .state, field: "(top level)", expected: "an object"))),
        MalformedCase(
            output: .wait, text: #"{"id":"c"}"#,
            expectation: .exactly(.missingField(output: .wait, field: "exitStatus"))),
        MalformedCase(
            output: .wait, text: #"{"id":"c","exitStatus":null}"#,
            expectation: .exactly(.wrongType(output: .wait, field: "exitStatus", expected: "an integer"))),
        MalformedCase(
            output: .wait, text: #"{"id":"c","exitStatus":"3"}"#,
            expectation: .exactly(.wrongType(output: .wait, field: "exitStatus", expected: "an integer"))),
        MalformedCase(
            output: .pids, text: #"[1,"x"]"#,
            expectation: .exactly(.wrongType(output: .pids, field: "[1]", expected: "an integer"))),
        MalformedCase(
            output: .pids, text: #"{"pids":[1]}"#,
            expectation: .exactly(.wrongType(output: .pids, field: "(top level)", expected: "an array"))),
        // Foundation reports a number that does not fit its field as invalid JSON, without a path.
        MalformedCase(output: .pids, text: "[99999999999]", expectation: .malformedJSON(.pids)),
        MalformedCase(
            output: .stats, text: #"{"type":"oom","id":"c","data":{}}"#,
            expectation: .exactly(.invalidValue(output: .stats, field: "type", value: "\"oom\"", expected: "\"stats\""))
        ),
        MalformedCase(
            output: .stats, text: #"{"type":"stats","id":"c"}"#,
            expectation: .exactly(.missingField(output: .stats, field: "data"))),
        MalformedCase(
            output: .stats, text: #"{"id":"c","data":{}}"#,
            expectation: .exactly(.missingField(output: .stats, field: "type"))),
        MalformedCase(
            output: .stats, text: #"{"type":"stats","data":{"memory":{"usage":{"usage":"many"}}}}"#,
            expectation: .exactly(
                .wrongType(output: .stats, field: "data.memory.usage.usage", expected: "a non-negative integer"))),
        MalformedCase(
            output: .stats, text: #"{"type":"stats","data":{"cpu":{"usage":{"percpu":[1,-2]}}}}"#,
            expectation: .malformedJSON(.stats)),
        MalformedCase(
            output: .stats, text: #"{"type":"stats","data":{"pids":{"current":-1}}}"#,
            expectation: .malformedJSON(.stats)),
        MalformedCase(
            output: .stats, text: #"{"type":"stats","data":{"pids":[]}}"#,
            expectation: .exactly(.wrongType(output: .stats, field: "data.pids", expected: "an object"))),
    ])
    func malformedOutputIsANamedError(_ example: MalformedCase) {
        let error = #expect(throws: RunscOutputError.self) { try Self.decode(example.output, example.text) }
        guard let error else { return }
        switch example.expectation {
        case .exactly(let expected):
            #expect(error == expected)
        case .malformedJSON(let output):
            guard case .malformedJSON(output, let detail) = error else {
                Issue.record("expected malformedJSON, got \(error)")
                return
            }
            #expect(!detail.isEmpty)
        }
        #expect(error.description.contains(example.output.description))
    }

    @Test func outputErrorDescriptions() {
        #expect(
            RunscOutputError.missingField(output: .state, field: "id").description
                == "runsc state output lacks the required field id")
        #expect(
            RunscOutputError.wrongType(output: .stats, field: "data.pids", expected: "an object").description
                == "runsc events --stats output field data.pids: expected an object")
    }
}
