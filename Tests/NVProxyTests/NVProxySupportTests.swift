import NVProxy
import Runsc
import Testing

@Suite struct NVProxySupportTests {
    static let listed = ["535.129.03", "535.183.01", "550.54.14", "570.86.15"]

    @Test func aRunscWithNVProxyListsItsDrivers() async throws {
        let runsc = try StandInRunsc.supporting(Self.listed)
        let support = try await NVProxySupport.probe(runsc: runsc.path)
        #expect(support == .supported(drivers: Self.listed.map(version)))
        #expect(support.hasNVProxy)
        #expect(support.verdict(for: version("550.54.14")) == .supported)
        #expect(support.verdict(for: version("550.54.15")) == .unsupported(supported: Self.listed.map(version)))
    }

    @Test func anUnsupportedDriverIsNamedWithTheSupportedOnes() throws {
        let support = NVProxySupport.supported(drivers: Self.listed.map(version))
        #expect(throws: Never.self) { try support.check(driver: version("535.183.01"), runsc: "runsc") }
        #expect(
            errorText { try support.check(driver: version("590.48.01"), runsc: "runsc") }
                == "NVIDIA driver 590.48.01 is not supported by this runsc; supported: 535.129.03, 535.183.01, 550.54.14, 570.86.15"
        )
    }

    /// The real runsc here (Debian 0.0~20221219) predates nvproxy.
    @Test func debiansRunscHasNoNVProxy() async throws {
        let runsc = try debianRunsc()
        let support = try await NVProxySupport.probe(runsc: runsc)
        #expect(support == .unavailable)
        #expect(!support.hasNVProxy)
        #expect(support.verdict(for: version("535.129.03")) == .runscLacksNVProxy)
        #expect(
            errorText { try support.check(driver: version("535.129.03"), runsc: runsc) }
                == "nvproxy is requested (runsc.toml [runsc_config] nvproxy = true and the container asks for GPUs) but "
                + "/usr/bin/runsc has no nvproxy support (no `nvproxy` subcommand, no --nvproxy flag); "
                + "install a runsc release with nvproxy (2023 or later)")
    }

    @Test func anOlderRunscWithTheFlagButNoDriverList() async throws {
        // Stand-in for the 2023-2024 releases: the flag exists, the subcommand does not (usage text as runsc prints it).
        let runsc = try StandInRunsc(
            """
            "nvproxy list-supported-drivers") printf 'Usage: runsc <flags> <subcommand> <subcommand args>\\n\\nSubcommands:\\n\\tcreate  create a secure container\\n' >&2; exit 128 ;;
            "flags") printf '  -network string\\n  -nvproxy\\n    \\tEXPERIMENTAL: enable support for Nvidia GPUs\\n' >&2 ;;
            *) exit 64 ;;
            """)
        let support = try await NVProxySupport.probe(runsc: runsc.path)
        #expect(support == .driverListUnavailable)
        #expect(support.verdict(for: version("535.129.03")) == .unknown)
        #expect(throws: Never.self) { try support.check(driver: version("535.129.03"), runsc: runsc.path) }
    }

    @Test func aFailingListIsReportedWithRunscsWords() async throws {
        let runsc = try StandInRunsc(
            """
            "nvproxy list-supported-drivers") echo "nvproxy: driver ABI table is corrupt" >&2; exit 1 ;;
            """)
        await #expect(
            throws: NVProxyError(.runscFailed(runsc: runsc.path, reason: "nvproxy: driver ABI table is corrupt"))
        ) {
            try await NVProxySupport.probe(runsc: runsc.path)
        }
    }

    @Test func aListThatIsNotVersionsIsAnError() async throws {
        let runsc = try StandInRunsc(
            """
            "nvproxy list-supported-drivers") echo 535.129.03; echo "latest and greatest" ;;
            """)
        await #expect(
            throws: NVProxyError(
                .runscFailed(
                    runsc: runsc.path, reason: "printed \"latest and greatest\", expected one driver version per line"))
        ) {
            try await NVProxySupport.probe(runsc: runsc.path)
        }
    }

    @Test func aMissingRunscIsAnError() async throws {
        let missing = "/nonexistent/runsc"
        do {
            _ = try await NVProxySupport.probe(runsc: missing)
            Issue.record("probing \(missing) succeeded")
        } catch {
            guard case .runscFailed(let runsc, let reason) = error.problem else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(runsc == missing)
            #expect(reason.contains("cannot start /nonexistent/runsc"), "\(reason)")
        }
    }

    @Test func settingsFromRunscConfig() {
        #expect(NVProxySettings(runscConfig: [:]) == NVProxySettings(enabled: false))
        #expect(NVProxySettings(runscConfig: ["nvproxy": "true"]) == NVProxySettings(enabled: true))
        #expect(NVProxySettings(runscConfig: ["nvproxy": "1"]).enabled)
        #expect(!NVProxySettings(runscConfig: ["nvproxy": "false"]).enabled)
        #expect(!NVProxySettings(runscConfig: ["nvproxy": "yes"]).enabled)
        #expect(
            NVProxySettings(runscConfig: ["nvproxy": "true", "nvproxy-allow-unsupported-driver": "true"])
                .skipsDriverCheck)
        #expect(
            NVProxySettings(runscConfig: ["nvproxy": "true", "nvproxy-driver-version": "535.129.03"]).skipsDriverCheck)
        #expect(NVProxySettings.isNVProxyFlag("nvproxy"))
        #expect(NVProxySettings.isNVProxyFlag("nvproxy-docker"))
        #expect(!NVProxySettings.isNVProxyFlag("nvproxyx"))
        #expect(!NVProxySettings.isNVProxyFlag("debug"))
    }
}
