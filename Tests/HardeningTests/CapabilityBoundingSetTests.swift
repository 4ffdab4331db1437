import Hardening
import Testing

/// Issue 17: the shim kept every capability in its bounding set, so runsc and anything a compromised shim started
/// could load modules, set the clock or read the kernel log. The daemon now keeps only what it and runsc need.
@Suite struct CapabilityBoundingSetTests {
    let kept = CapabilitySet(CapabilityBoundingSet.shimKeeps.map(\.capability))

    @Test func whatRunscNeedsForAnyConfigurationIsKeptWithReasons() {
        for config in [
            ["platform": "ptrace", "network": "host", "net-raw": "true"], ["platform": "systrap"],
            ["platform": "kvm", "network": "none"], [:],
        ] {
            let needs = CapabilitySet(RunscCapabilityNeeds(runscConfig: config).requirements.map(\.capability))
            #expect(needs.subtracting(kept).isEmpty, "\(config): \(needs.subtracting(kept)) would be dropped")
        }
        for requirement in CapabilityBoundingSet.shimKeeps {
            #expect(requirement.reason.count > 10, "\(requirement.capability) has no reason")
        }
        #expect(kept.contains(.kill) && kept.contains(try! Capability(name: "cap_setpcap")))
        // runsc 20240729's gofer fails with "fork/exec /proc/self/exe: operation not permitted" without it.
        #expect(kept.contains(try! Capability(name: "cap_setfcap")))
    }

    @Test(arguments: [
        "cap_sys_module", "cap_sys_rawio", "cap_sys_boot", "cap_sys_time", "cap_syslog", "cap_mac_admin",
        "cap_audit_control", "cap_bpf", "cap_perfmon", "cap_linux_immutable", "cap_sys_pacct",
    ])
    func whatNobodyNeedsIsDropped(name: String) throws {
        #expect(!kept.contains(try Capability(name: name)))
    }

    /// In a helper process: after the drop the bounding set is exactly what is kept, runsc's needs check out for
    /// the widest configuration, and a program it execs as root gets no more than the bounding set.
    @Test func theDropIsInheritedAndLeavesRunscWhatItNeeds() throws {
        try #require(isRoot, "drops capabilities in a helper process: needs root")
        let lines = try probe([
            "drop-unneeded", "check-runsc", "platform=ptrace", "network=host", "net-raw=true",
        ])
        #expect(lines.count == 1 && lines[0].hasPrefix("dropped="), "\(lines)")
        #expect(lines[0].contains("cap_sys_module") && !lines[0].contains("cap_sys_admin"), "\(lines)")
        let execd = try probe(["drop-unneeded", "exec", try probePath(), "caps"])
        let sets = Dictionary(
            uniqueKeysWithValues: execd.dropFirst().map { line in
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                return (parts[0], parts.count > 1 ? parts[1] : "")
            })
        for set in ["permitted", "bounding"] {
            let held = try CapabilitySet(names: try #require(sets[set]).split(separator: ",").map(String.init))
            #expect(held.subtracting(kept).isEmpty, "\(set) after exec holds \(held.subtracting(kept))")
            #expect(held.contains(.sysAdmin) && held.contains(.sysPtrace), "\(set): \(held)")
        }
    }
}
