import Foundation
import Kubernetes
import KubernetesTesting
import Testing

@Suite(.timeLimit(.minutes(2))) struct ObjectStoreTests {
    let type = ContainerRuntime.resourceType

    @Test func timestampsAreKubernetesRFC3339() {
        let date = Date(timeIntervalSince1970: 1_800_000_000.25)
        #expect(Timestamp.rfc3339(date) == "2027-01-15T08:00:00Z")
        #expect(Timestamp.rfc3339Micro(date) == "2027-01-15T08:00:00.250000Z")
        #expect(Timestamp.parse("2027-01-15T08:00:00Z") == Date(timeIntervalSince1970: 1_800_000_000))
    }

    @Test func generationCountsSpecChangesOnly() async throws {
        let store = ObjectStore()
        let object = try JSONValue(encoding: ClientTests.runtime("a"))
        var stored = try await store.create(type, namespace: ClientTests.namespace, object: object)
        #expect(stored.value(at: "metadata.generation") == .int(1))
        stored["metadata"]?["labels"] = ["x": "y"]
        stored = try await store.update(type, namespace: nil, object: stored)
        #expect(stored.value(at: "metadata.generation") == .int(1))
        stored["spec"]?["binaryPath"] = "/other"
        stored = try await store.update(type, namespace: nil, object: stored)
        #expect(stored.value(at: "metadata.generation") == .int(2))
        // An unchanged write is a no-op: same resourceVersion, no event.
        let version = stored.value(at: "metadata.resourceVersion")
        stored = try await store.update(type, namespace: nil, object: stored)
        #expect(stored.value(at: "metadata.resourceVersion") == version)
    }

    @Test func historyBeyondItsLimitIsGone() async throws {
        let store = ObjectStore(historyLimit: 2)
        _ = try await store.create(type, namespace: "n", object: try JSONValue(encoding: ClientTests.runtime("first")))
        let start = await store.resourceVersion  // "1": not "0", which means "any version"
        for name in ["a", "b", "c"] {
            _ = try await store.create(type, namespace: "n", object: try JSONValue(encoding: ClientTests.runtime(name)))
        }
        do {
            for try await _ in await store.watch(type, namespace: nil, resourceVersion: start) {}
            Issue.record("expected 410")
        } catch let error as KubernetesError {
            #expect(error.isGone)
        }
    }

    @Test func mergePatchFollowsRFC7386() {
        let original: JSONValue = ["a": "b", "c": ["d": "e", "f": "g"]]
        let patch: JSONValue = ["a": "z", "c": ["f": .null]]
        #expect(original.merging(patch: patch) == ["a": "z", "c": ["d": "e"]])
        #expect(original.merging(patch: ["a": ["b": "c"]]) == ["a": ["b": "c"], "c": ["d": "e", "f": "g"]])
    }
}

@Suite(.timeLimit(.minutes(2))) struct JSONTextTests {
    @Test func parsesAndWritesBackSortedAndCompact() throws {
        let text = #"{ "b": [1, 2.5, -3e2, true, false, null], "a": {"s": "x\"y\\z\n\u00e9\ud83d\ude00\/"} }"#
        let value = try JSONValue(parsing: Array(text.utf8))
        #expect(value["a"]?["s"] == .string("x\"y\\z\né😀/"))
        #expect(value["b"] == [1, .double(2.5), .double(-300), true, false, .null])
        #expect(
            String(decoding: value.serialized(), as: UTF8.self)
                == #"{"a":{"s":"x\"y\\z\né😀/"},"b":[1,2.5,-300.0,true,false,null]}"#)
        #expect(try JSONValue(parsing: value.serialized()) == value)
        #expect(String(decoding: JSONValue.string("\u{1}").serialized(), as: UTF8.self) == #""\u0001""#)
    }

    /// Integers above 2^53, where a Double starts skipping values, survive parsing, writing and Codable exactly:
    /// the project has one JSON value type (OCI's, issue 19 D10), whose integers are Int64 or UInt64.
    @Test func keepsIntegersAbove2To53Exact() throws {
        let text = #"{"big":9007199254740993,"huge":18446744073709551615,"min":-9223372036854775808}"#
        let value = try JSONValue(parsing: Array(text.utf8))
        #expect(value["big"] == .int(9_007_199_254_740_993))
        #expect(value["huge"] == .uint(UInt64.max))
        #expect(value["min"] == .int(Int64.min))
        #expect(String(decoding: value.serialized(), as: UTF8.self) == text)
        struct Limits: Codable, Equatable {
            var big: Int64
            var huge: UInt64
        }
        let decoded = try value.decode(as: Limits.self)
        #expect(decoded == Limits(big: 9_007_199_254_740_993, huge: .max))
        #expect(try JSONValue(encoding: decoded)["big"] == .int(9_007_199_254_740_993))
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"\\ud800\"", "1 2", "{\"a\":}"])
    func rejectsInvalidJSON(text: String) {
        #expect(throws: KubernetesClientError.self) { try JSONValue(parsing: Array(text.utf8)) }
    }
}
