import Hardening
import Testing

@Suite struct SeccompProfileValidatorTests {
    /// A spec with `linux.seccomp` set to `profile` (JSON text).
    func spec(_ profile: String) -> [UInt8] {
        Array(#"{"ociVersion":"1.0.2","process":{"args":["sh"]},"linux":{"seccomp":\#(profile)}}"#.utf8)
    }

    func error(_ profile: String) -> OCISpecError? {
        #expect(throws: OCISpecError.self) { try SeccompProfileValidator.validate(spec: spec(profile)) }
    }

    @Test func aRuntimeDefaultStyleProfileIsValid() throws {
        // Like containerd's default: several architectures, names that exist only on x86 (socketcall,
        // _llseek), an errno default, argument comparisons.
        let profile = """
            {"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,
             "architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],
             "flags":["SECCOMP_FILTER_FLAG_LOG"],
             "syscalls":[
              {"names":["read","write","exit_group","socketcall","_llseek","futex_waitv"],"action":"SCMP_ACT_ALLOW"},
              {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]},
              {"names":["personality"],"action":"SCMP_ACT_ALLOW",
               "args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"},{"index":0,"value":131072,"op":"SCMP_CMP_EQ"}]},
              {"names":["clone"],"action":"SCMP_ACT_ALLOW",
               "args":[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]},
              {"names":["ptrace"],"action":"SCMP_ACT_ERRNO","errnoRet":38},
              {"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}
             ]}
            """
        let summary = try #require(try SeccompProfileValidator.validate(spec: spec(profile)))
        #expect(summary.architectures == ["x86_64", "x86", "x32"])
        #expect(summary.defaultAction == "SCMP_ACT_ERRNO")
        // mkdir's rule equals the default action and is skipped, as runc does.
        #expect(summary.ruleCount == 10)
    }

    @Test func aSpecWithoutSeccompHasNothingToCheck() throws {
        #expect(try SeccompProfileValidator.validate(spec: Array(#"{"ociVersion":"1.0.2"}"#.utf8)) == nil)
    }

    @Test func unknownSyscallIsNamed() {
        let error = error(
            #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_LOG"},"#
                + #"{"names":["write","frobnicate"],"action":"SCMP_ACT_ERRNO"}]}"#)
        #expect(error?.field == "linux.seccomp.syscalls[1].names[1]")
        #expect(error?.message.contains("\"frobnicate\" is not a syscall on x86_64") == true)
    }

    @Test func aSyscallOfAnotherArchitectureIsNamed() {
        // socketcall is an x86 syscall, not an x86_64 one; without SCMP_ARCH_X86 it cannot apply.
        let error = error(
            #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["socketcall"],"action":"SCMP_ACT_KILL"}]}"#)
        #expect(error?.field == "linux.seccomp.syscalls[0].names[0]")
    }

    @Test func badActionIsNamed() {
        let error = error(
            #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_MAYBE"}]}"#)
        #expect(error?.field == "linux.seccomp.syscalls[0].action")
        #expect(error?.message.hasPrefix("\"SCMP_ACT_MAYBE\" is not a seccomp action") == true)
        #expect(self.error(#"{"defaultAction":"ALLOW"}"#)?.field == "linux.seccomp.defaultAction")
        #expect(
            self.error(
                #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_NOTIFY"}]}"#)?
                .message.contains("not supported by runsc") == true)
    }

    @Test func badArgumentsAreNamed() {
        let op = error(
            #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","#
                + #""args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":1,"value":1,"op":"SCMP_CMP_ALMOST"}]}]}"#)
        #expect(op?.field == "linux.seccomp.syscalls[0].args[1].op")
        #expect(op?.message.contains("\"SCMP_CMP_ALMOST\" is not a comparison") == true)
        let index = error(
            #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","#
                + #""args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}"#)
        #expect(index?.field == "linux.seccomp.syscalls[0].args[0].index")
        let type = error(
            #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","#
                + #""args":[{"index":"zero","value":1,"op":"SCMP_CMP_EQ"}]}]}"#)
        #expect(type?.field == "linux.seccomp.syscalls[0].args[0].index")
        #expect(type?.message == "expected a non-negative integer")
    }

    @Test func otherFieldsAreNamed() {
        #expect(
            error(#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_Z80"]}"#)?.field
                == "linux.seccomp.architectures[0]")
        #expect(
            error(#"{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_FAST"]}"#)?.field
                == "linux.seccomp.flags[0]")
        #expect(
            error(#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":[],"action":"SCMP_ACT_LOG"}]}"#)?.field
                == "linux.seccomp.syscalls[0].names")
        let missing = error(#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"action":"SCMP_ACT_LOG"}]}"#)
        #expect(missing?.field == "linux.seccomp.syscalls[0].names")
        #expect(missing?.message == "missing, but required")
        #expect(
            error(
                #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_LOG","errnoRet":1}]}"#
            )?
            .field == "linux.seccomp.syscalls[0].errnoRet")
    }

    @Test func theDescriptionNamesFileFieldAndProblem() {
        let error = OCISpecError(field: "linux.seccomp.defaultAction", message: "bad", file: "/b/config.json")
        #expect(error.description == "/b/config.json: linux.seccomp.defaultAction: bad")
    }
}

@Suite struct SpecCapabilitiesTests {
    let spec = """
        {"ociVersion":"1.0.2","process":{"args":["sh","-c","echo a/b"],"capabilities":{
         "bounding":["CAP_CHOWN","CAP_NET_RAW","CAP_KILL"],"effective":["CAP_NET_RAW"],
         "permitted":["CAP_CHOWN","CAP_NET_RAW"]}},
         "linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO",
          "args":[{"index":0,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]}]}}}
        """

    @Test func netRawIsStrippedUnlessEnabled() throws {
        let result = try SpecCapabilities.enforce(spec: Array(spec.utf8), netRawEnabled: false)
        #expect(result.strippedNetRawFrom == ["bounding", "effective", "permitted"])
        let rewritten = String(decoding: try #require(result.rewritten), as: UTF8.self)
        #expect(!rewritten.contains("CAP_NET_RAW"))
        #expect(rewritten.contains(#""bounding":["CAP_CHOWN","CAP_KILL"]"#))
        #expect(rewritten.contains(#""effective":[]"#))
        // Everything else survives, including a uint64 beyond Int64 and unescaped slashes.
        #expect(rewritten.contains("18446744073709551615"))
        #expect(rewritten.contains(#""echo a/b""#))
        #expect(try SeccompProfileValidator.validate(spec: Array(rewritten.utf8)) != nil)
        // A second pass has nothing left to do.
        #expect(try SpecCapabilities.enforce(spec: Array(rewritten.utf8), netRawEnabled: false).rewritten == nil)
    }

    @Test func netRawStaysWhenEnabled() throws {
        let result = try SpecCapabilities.enforce(spec: Array(spec.utf8), netRawEnabled: true)
        #expect(result.rewritten == nil && result.strippedNetRawFrom.isEmpty)
    }

    @Test func unknownCapabilityNamesAreNamedErrors() {
        let bad = #"{"process":{"capabilities":{"bounding":["CAP_CHOWN"],"permitted":["CAP_CHOWN","CAP_FLY"]}}}"#
        let error = #expect(throws: OCISpecError.self) {
            try SpecCapabilities.enforce(spec: Array(bad.utf8), netRawEnabled: true)
        }
        #expect(error?.field == "process.capabilities.permitted[1]")
        #expect(error?.message.contains("\"CAP_FLY\" is not a capability name known to libcap") == true)
        let lower = #"{"process":{"capabilities":{"bounding":["cap_chown"]}}}"#
        #expect(throws: OCISpecError.self) {
            try SpecCapabilities.enforce(spec: Array(lower.utf8), netRawEnabled: true)
        }
    }

    @Test func specsWithoutCapabilitiesAreLeftAlone() throws {
        let none = #"{"process":{"args":["sh"]}}"#
        #expect(try SpecCapabilities.enforce(spec: Array(none.utf8), netRawEnabled: false).rewritten == nil)
    }
}
