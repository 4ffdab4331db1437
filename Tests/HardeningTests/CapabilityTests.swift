import Glibc
import Hardening
import Testing

@Suite struct CapabilityTests {
    @Test func namesComeFromLibcap() throws {
        #expect(Capability.sysAdmin.name == "cap_sys_admin")
        #expect(Capability.sysAdmin.ociName == "CAP_SYS_ADMIN")
        #expect(Capability.sysAdmin.value == 21)
        #expect(try Capability(name: "CAP_NET_RAW") == .netRaw)
        #expect(try Capability(name: "cap_net_raw") == .netRaw)
        #expect(try Capability(ociName: "CAP_SYS_PTRACE") == .sysPtrace)
        #expect(Capability(value: 40)?.name == "cap_checkpoint_restore")
        #expect(Capability(value: 64) == nil)
    }

    @Test(arguments: ["CAP_FOO", "21", "all", "sys_admin", "", "CAP_SYS_ADMIN ", "cap_sys_admin=ep"])
    func unknownNamesAreNamedErrors(name: String) {
        #expect(throws: CapabilityError.unknownName(name)) { try Capability(name: name) }
    }

    @Test func ociNamesMustBeUpperCase() {
        #expect(throws: CapabilityError.unknownName("cap_net_raw")) { try Capability(ociName: "cap_net_raw") }
        let message = "\(CapabilityError.unknownName("CAP_FOO"))"
        #expect(message.contains("\"CAP_FOO\"") && message.contains("libcap"))
    }

    @Test func setsAreValuesInNumberOrder() throws {
        var set: CapabilitySet = [.sysAdmin, .chown]
        #expect(set.description == "cap_chown,cap_sys_admin")
        #expect(set.count == 2 && set.contains(.chown) && !set.contains(.netRaw))
        set.remove(.chown)
        #expect(Array(set) == [.sysAdmin])
        #expect(CapabilitySet().description == "none")
        #expect(try CapabilitySet(names: ["CAP_SETUID", "cap_setgid"]) == [.setuid, .setgid])
        #expect(throws: CapabilityError.unknownName("CAP_NOPE")) { try CapabilitySet(names: ["CAP_KILL", "CAP_NOPE"]) }
    }

    @Test func currentProcessMatchesProcStatus() throws {
        let caps = try ProcessCapabilities.current()
        let status = try procStatusCapabilities(pid: getpid())
        #expect(caps.effective.bits == status["CapEff"])
        #expect(caps.permitted.bits == status["CapPrm"])
        #expect(caps.inheritable.bits == status["CapInh"])
        #expect(caps.bounding.bits == status["CapBnd"])
        #expect(caps.ambient.bits == status["CapAmb"])
        #expect(try ProcessCapabilities.of(pid: getpid()) == caps)
    }

    @Test func droppedCapabilitiesAreSeenAndNamed() throws {
        try #require(isRoot, "drops capabilities in a helper process: needs root")
        let lines = try probe(["drop", "cap_sys_ptrace,cap_net_admin", "caps"])
        let sets = Dictionary(
            uniqueKeysWithValues: lines.map { line in
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                return (parts[0], parts.count > 1 ? parts[1] : "")
            })
        for set in ["effective", "permitted", "bounding"] {
            let names = try #require(sets[set]).split(separator: ",").map(String.init)
            #expect(!names.contains("cap_sys_ptrace") && !names.contains("cap_net_admin"), "\(set): \(names)")
            #expect(names.contains("cap_sys_admin"), "\(set): \(names)")
        }
    }

    /// Guards against the test above passing on a machine where root lacks these anyway.
    @Test func rootHoldsWhatRunscNeedsHere() throws {
        try #require(isRoot, "needs root")
        let needs = RunscCapabilityNeeds(runscConfig: ["platform": "ptrace", "network": "sandbox"])
        #expect(needs.missing(in: try ProcessCapabilities.current()).isEmpty)
    }

    private func procStatusCapabilities(pid: pid_t) throws -> [String: UInt64] {
        guard let file = fopen("/proc/\(pid)/status", "r") else {
            throw CapabilityError.system(operation: "fopen", errno: errno)
        }
        defer { fclose(file) }
        var result: [String: UInt64] = [:]
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            let parts = String(cString: line!).split(whereSeparator: {
                $0 == ":" || $0 == "\t" || $0 == "\n" || $0 == " "
            })
            if parts.count == 2, parts[0].hasPrefix("Cap") { result[String(parts[0])] = UInt64(parts[1], radix: 16) }
        }
        return result
    }
}

@Suite struct RunscCapabilityNeedsTests {
    @Test func ptraceWithoutNetwork() {
        let needs = RunscCapabilityNeeds(runscConfig: ["platform": "ptrace", "network": "none"])
        let names = needs.requirements.map(\.capability.ociName)
        #expect(
            names == [
                "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_SETGID",
                "CAP_SETUID", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_ADMIN",
            ])
    }

    @Test func defaultsArePtraceAndSandboxNetwork() {
        let names = Set(RunscCapabilityNeeds(runscConfig: [:]).requirements.map(\.capability))
        #expect(names.contains(.sysPtrace) && names.contains(.netAdmin) && !names.contains(.netRaw))
    }

    @Test func kvmNeedsNoPtraceAndHostNetRawNeedsNetRaw() {
        let kvm = Set(
            RunscCapabilityNeeds(runscConfig: ["platform": "kvm", "network": "host", "net-raw": "true"])
                .requirements.map(\.capability))
        #expect(!kvm.contains(.sysPtrace) && kvm.contains(.netAdmin) && kvm.contains(.netRaw))
        #expect(RunscCapabilityNeeds(runscConfig: ["rootless": "true"]).requirements.isEmpty)
    }

    @Test func missingCapabilitiesAreNamedWithReasons() throws {
        let needs = RunscCapabilityNeeds(runscConfig: ["platform": "ptrace", "network": "sandbox"])
        var process = ProcessCapabilities(
            effective: CapabilitySet(Capability.supported), permitted: CapabilitySet(Capability.supported),
            bounding: CapabilitySet(Capability.supported))
        #expect(throws: Never.self) { try needs.check(process) }
        process.bounding.remove(.sysPtrace)
        process.effective.remove(.netAdmin)
        let error = #expect(throws: MissingCapabilitiesError.self) { try needs.check(process) }
        #expect(error?.missing.map(\.capability) == [.netAdmin, .sysPtrace])
        #expect(error?.description.contains("CAP_SYS_PTRACE (platform=ptrace traces the sandboxed processes)") == true)
    }

    @Test func checkInAProcessWithDroppedCapabilities() throws {
        try #require(isRoot, "drops capabilities in a helper process: needs root")
        let lines = try probe([
            "drop", "cap_sys_ptrace,cap_net_admin,cap_mknod", "check-runsc", "platform=ptrace", "network=sandbox",
        ])
        #expect(lines == ["missing CAP_NET_ADMIN", "missing CAP_SYS_PTRACE"])
        let none = try probe(["drop", "cap_sys_ptrace", "check-runsc", "platform=kvm", "network=none"])
        #expect(none == [])
    }
}
