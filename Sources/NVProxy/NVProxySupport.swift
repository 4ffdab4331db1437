import HostOS
import Runsc

/// What the installed runsc can do for GPUs, from `runsc nvproxy list-supported-drivers`.
///
/// Debian's runsc (0.0~20221219) predates nvproxy: it has neither the `nvproxy` subcommand nor the `--nvproxy`
/// flag, and passing the flag makes every runsc command fail with `flag provided but not defined: -nvproxy`.
public enum NVProxySupport: Sendable, Hashable {
    /// runsc has nvproxy and supports exactly these driver versions (in runsc's order).
    case supported(drivers: [NVIDIADriverVersion])
    /// runsc has the `--nvproxy` flag but no `nvproxy list-supported-drivers` (releases from 2023 to mid 2024):
    /// the driver cannot be checked before the sandbox starts.
    case driverListUnavailable
    /// runsc has no nvproxy at all.
    case unavailable

    /// Whether runsc accepts `--nvproxy`.
    public var hasNVProxy: Bool {
        if case .unavailable = self { return false }
        return true
    }

    /// The verdict for one host driver, for `doctor` and for ``check(driver:runsc:)``.
    public enum DriverVerdict: Sendable, Hashable {
        case supported
        case unsupported(supported: [NVIDIADriverVersion])
        /// runsc cannot list its drivers; runsc decides when the sandbox starts.
        case unknown
        case runscLacksNVProxy
    }

    public func verdict(for driver: NVIDIADriverVersion) -> DriverVerdict {
        switch self {
        case .supported(let drivers): drivers.contains(driver) ? .supported : .unsupported(supported: drivers)
        case .driverListUnavailable: .unknown
        case .unavailable: .runscLacksNVProxy
        }
    }

    /// Throws the operator-facing error when a GPU container cannot work with `driver`: "NVIDIA driver X is not
    /// supported by this runsc; supported: ...", or that `runsc` lacks nvproxy. An unknown verdict passes.
    public func check(driver: NVIDIADriverVersion, runsc: String) throws(NVProxyError) {
        switch verdict(for: driver) {
        case .supported, .unknown: return
        case .unsupported(let supported): throw NVProxyError(.unsupportedDriver(version: driver, supported: supported))
        case .runscLacksNVProxy: throw NVProxyError(.runscLacksNVProxy(runsc: runsc))
        }
    }

    /// Asks `runsc` (a path or a name looked up in `PATH`): `runsc nvproxy list-supported-drivers`, and when runsc
    /// does not know that subcommand, `runsc flags` to tell an nvproxy-less runsc from one that only lacks the list.
    ///
    /// Pass the shim's reaper-backed executor from inside the shim; the default suits ordinary programs.
    public static func probe(
        runsc: String, executor: any RunscExecutor = ProcessExecutor()
    ) async throws(NVProxyError) -> NVProxySupport {
        let client = RunscClient(runsc: Runsc(binary: runsc, logFormat: nil), executor: executor)
        let list: Outcome
        do { list = try await run(client, ["nvproxy", "list-supported-drivers"]) } catch {
            throw NVProxyError(.runscFailed(runsc: runsc, reason: "\(error)"))
        }
        switch list {
        case .success(let stdout, _):
            return .supported(drivers: try parseDriverList(stdout, runsc: runsc))
        case .failure(let output):
            guard isUnknownSubcommand(output) else {
                throw NVProxyError(.runscFailed(runsc: runsc, reason: Text.trimmed(output.suffix(2000))))
            }
        }
        let flags: Outcome
        do { flags = try await run(client, ["flags"]) } catch {
            throw NVProxyError(.runscFailed(runsc: runsc, reason: "runsc flags: \(error)"))
        }
        switch flags {
        // runsc prints its flags on stderr.
        case .success(let stdout, let stderr):
            return hasNVProxyFlag(stdout + "\n" + stderr) ? .driverListUnavailable : .unavailable
        case .failure(let output):
            throw NVProxyError(.runscFailed(runsc: runsc, reason: "runsc flags: " + Text.trimmed(output.suffix(2000))))
        }
    }

    /// The versions runsc printed, one per line; blank lines are skipped, anything else is an error.
    public static func parseDriverList(_ output: String, runsc: String = "runsc") throws(NVProxyError)
        -> [NVIDIADriverVersion]
    {
        var drivers: [NVIDIADriverVersion] = []
        for line in output.split(separator: "\n") {
            let word = Text.trimmed(line)
            if word.isEmpty { continue }
            guard let version = NVIDIADriverVersion(word) else {
                throw NVProxyError(
                    .runscFailed(runsc: runsc, reason: "printed \"\(word)\", expected one driver version per line"))
            }
            drivers.append(version)
        }
        return drivers
    }

    /// google/subcommands' answer to an unknown subcommand: the usage text, whose command list lacks `nvproxy`.
    static func isUnknownSubcommand(_ output: String) -> Bool {
        guard output.contains("Subcommands") else { return false }
        return !output.split(separator: "\n").contains { line in
            let words = line.split(whereSeparator: Text.isSpace)
            return words.first == "nvproxy"
        }
    }

    /// `runsc flags` lists each flag as `  -name type`; look for `-nvproxy` exactly.
    static func hasNVProxyFlag(_ output: String) -> Bool {
        output.split(separator: "\n").contains { line in
            line.split(whereSeparator: Text.isSpace).first == "-nvproxy"
        }
    }

    enum Outcome {
        case success(stdout: String, stderr: String)
        /// stderr and stdout together.
        case failure(String)
    }

    private static func run(_ client: RunscClient, _ words: [String]) async throws -> Outcome {
        let command = try client.runsc.command(subcommand: words[0], arguments: Array(words.dropFirst()))
        let result = try await client.executor.run(command, stdio: .captured)
        if result.status.isSuccess { return .success(stdout: result.stdoutText, stderr: result.stderrText) }
        return .failure(result.stderrText + result.stdoutText)
    }
}
