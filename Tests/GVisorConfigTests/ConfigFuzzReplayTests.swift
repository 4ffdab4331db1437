import Foundation
import Testing

/// Repository root, found from this file's location.
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The committed inputs of one fuzz target: its seed corpus and every finding (after its fix).
private func fuzzInputs(_ name: String) -> [String] {
    ["Fuzz/corpus/\(name)", "Fuzz/regressions/\(name)"].flatMap { directory in
        let path = repositoryRoot.appendingPathComponent(directory).path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory + "/" + $0 }
    }
}

private func contents(_ input: String) throws -> [UInt8] {
    Array(try #require(FileManager.default.contents(atPath: repositoryRoot.appendingPathComponent(input).path)))
}

/// The harnesses trap on any broken invariant, so a regression crashes these tests.
@Suite("Configuration fuzz corpus replay")
struct ConfigFuzzReplayTests {
    @Test("the seed corpora are committed")
    func corporaPresent() {
        #expect(fuzzInputs("runsc-toml").filter { $0.hasPrefix("Fuzz/corpus/") }.count >= 5)
        #expect(fuzzInputs("gvisor-config").filter { $0.hasPrefix("Fuzz/corpus/") }.count >= 5)
    }

    @Test("committed runsc.toml inputs replay through the harness", arguments: fuzzInputs("runsc-toml"))
    func replayRunscTOML(input: String) throws {
        RunscTOMLFuzzHarness.run(try contents(input))
    }

    @Test("committed GVisorConfiguration inputs replay through the harness", arguments: fuzzInputs("gvisor-config"))
    func replayGVisorConfiguration(input: String) throws {
        GVisorConfigFuzzHarness.run(try contents(input))
    }

    /// Both outcomes are seeded, so the replay reaches the success invariants as well as the error ones.
    @Test("the seeds hold accepted and rejected documents")
    func seedsCoverBothOutcomes() throws {
        let toml = try fuzzInputs("runsc-toml").map { RunscTOMLFuzzHarness.run(try contents($0)) }
        #expect(toml.count(where: { $0 }) >= 3 && toml.count(where: { !$0 }) >= 3)
        let documents = try fuzzInputs("gvisor-config").map { GVisorConfigFuzzHarness.run(try contents($0)) }
        #expect(documents.count(where: { $0 }) >= 3 && documents.count(where: { !$0 }) >= 3)
    }
}
