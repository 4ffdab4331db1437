import Foundation
import Testing

/// The committed inputs of the containerd-config fuzz target: its seed corpus and every finding (after its fix).
private func fuzzInputs() -> [String] {
    ["Fuzz/corpus/containerd-config", "Fuzz/regressions/containerd-config"].flatMap { directory in
        let names = (try? FileManager.default.contentsOfDirectory(atPath: packageRoot.path + "/" + directory)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory + "/" + $0 }
    }
}

private func contents(_ input: String) throws -> [UInt8] {
    Array(try #require(FileManager.default.contents(atPath: packageRoot.path + "/" + input)))
}

/// The harness traps on any broken invariant (and toml++ aborts on what slips past the pre-check), so a regression
/// crashes these tests.
@Suite("containerd config fuzz corpus replay")
struct ContainerdConfigFuzzReplayTests {
    @Test("committed containerd config.toml inputs replay through the harness", arguments: fuzzInputs())
    func replay(input: String) throws {
        ContainerdConfigFuzzHarness.run(try contents(input))
    }

    @Test("the seeds hold accepted documents of every version and the regressions are rejected")
    func seedsCoverBothOutcomes() throws {
        let inputs = fuzzInputs()
        let seeds = inputs.filter { $0.hasPrefix("Fuzz/corpus/") }
        #expect(seeds.count >= 10)
        #expect(try seeds.allSatisfy { ContainerdConfigFuzzHarness.run(try contents($0)) })
        let findings = inputs.filter { $0.hasPrefix("Fuzz/regressions/") }
        #expect(findings.count >= 3)
        #expect(try findings.allSatisfy { !ContainerdConfigFuzzHarness.run(try contents($0)) })
    }
}
