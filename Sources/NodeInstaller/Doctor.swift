import Dispatch
import GVisorConfig
import Synchronization

/// The node's readiness for gVisor pods as a list of independent checks; each looks at one thing and says
/// ok, warning, failed or info (a fact with nothing to judge). The node is ready when nothing failed.
///
/// Checks are values, so other libraries' sections (capabilities, GPUs) plug in by adding to the list.
public enum Doctor {
    /// What every check may look at.
    public struct Context: Sendable {
        public var layout: NodeLayout
        /// The runsc.toml the node should have, when the caller knows the configuration.
        public var expectedRunscTOML: String?

        public init(layout: NodeLayout, expectedRunscTOML: String? = nil) {
            self.layout = layout
            self.expectedRunscTOML = expectedRunscTOML
        }
    }

    public struct Check: Sendable {
        /// Stable name for `--json` consumers, e.g. `containerd-config`.
        public var id: String
        public var title: String
        public var run: @Sendable (Context) async -> Result

        public init(id: String, title: String, run: @escaping @Sendable (Context) async -> Result) {
            self.id = id
            self.title = title
            self.run = run
        }
    }

    public enum Status: String, Sendable, Hashable {
        case ok, warning, failed, info
    }

    public struct Result: Sendable, Hashable {
        public var status: Status
        public var summary: String
        /// Ordered facts behind the summary (`version`, `path`, ...).
        public var details: [Detail]

        public init(_ status: Status, _ summary: String, details: [Detail] = []) {
            self.status = status
            self.summary = summary
            self.details = details
        }
    }

    public struct Detail: Sendable, Hashable {
        public var key: String
        public var value: String

        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    public struct Report: Sendable, Hashable {
        public struct Entry: Sendable, Hashable {
            public var id: String
            public var title: String
            public var result: Result
        }

        public var hostRoot: String
        public var entries: [Entry]

        public var isReady: Bool { !entries.contains { $0.result.status == .failed } }

        /// One line per failed check: `title: summary`.
        public var reasons: [String] {
            entries.filter { $0.result.status == .failed }.map { "\($0.title): \($0.result.summary)" }
        }
    }

    /// The checks of this library, in report order.
    public static var standardChecks: [Check] {
        [runscBinary, shimBinary, containerdConfig, runscTOML, platform, cgroups, capabilities, gpus]
    }

    public static func run(_ checks: [Check] = standardChecks, context: Context) async -> Report {
        var entries: [Report.Entry] = []
        for check in checks {
            entries.append(Report.Entry(id: check.id, title: check.title, result: await check.run(context)))
        }
        return Report(hostRoot: context.layout.hostRoot, entries: entries)
    }

    /// ``run(_:context:)`` for synchronous callers (a command-line tool's main thread): waits for the checks.
    public static func runBlocking(_ checks: [Check] = standardChecks, context: Context) -> Report {
        final class Outcome: Sendable {
            let report = Mutex<Report?>(nil)
            let done = DispatchSemaphore(value: 0)
        }
        let outcome = Outcome()
        Task {
            let report = await run(checks, context: context)
            outcome.report.withLock { $0 = report }
            outcome.done.signal()
        }
        outcome.done.wait()
        return outcome.report.withLock { $0! }
    }

    /// `[runsc_config]` of the installed runsc.toml; empty when it is missing or broken (its own check says so).
    static func installedRunscConfig(_ context: Context) -> [String: String] {
        (try? HostFiles.readText(context.layout.onHost(context.layout.runscTOML)))
            .flatMap { try? RunscShimConfig.parse($0).config.runscConfig } ?? [:]
    }
}
