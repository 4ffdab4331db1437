import Foundation
import Testing

/// Repository root, found from this file's location.
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The committed fuzz inputs: the seed corpus and every crash the fuzzer found (after its fix).
private func fuzzInputs() -> [String] {
    ["Fuzz/corpus/ttrpc", "Fuzz/regressions/ttrpc"].flatMap { directory in
        let path = repositoryRoot.appendingPathComponent(directory).path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory + "/" + $0 }
    }
}

@Suite("Fuzz corpus replay")
struct FuzzReplayTests {
    @Test("the seed corpus is committed")
    func corpusPresent() {
        #expect(fuzzInputs().filter { $0.hasPrefix("Fuzz/corpus/") }.count >= 5)
    }

    /// The harness traps on any broken invariant, so a regression crashes this test.
    @Test("committed fuzz inputs replay through the harness", arguments: fuzzInputs())
    func replay(input: String) throws {
        let data = try #require(FileManager.default.contents(atPath: repositoryRoot.appendingPathComponent(input).path))
        #expect(!data.isEmpty)
        FuzzHarness.run(Array(data))
    }
}
