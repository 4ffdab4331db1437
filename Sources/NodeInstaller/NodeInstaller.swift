import GVisorConfig
import HostOS

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Puts gVisor on a node and takes it off again: binaries, the containerd handler `runsc`, runsc.toml, and a
/// containerd restart only when containerd's view changed.
///
/// Every run first plans (reads and validates everything, computes every new file) and only then writes, so
/// bad input fails before any file is touched; each write is atomic. Running it twice changes nothing the
/// second time.
public struct NodeInstaller: Sendable {
    public var layout: NodeLayout
    /// The runsc.toml to write (render it with ``runscTOML(configuration:extraFlags:)``).
    public var runscTOML: String
    /// A shell command line; `nil` means the layout's default (`chroot <host-root> systemctl restart containerd`).
    public var restartCommand: String?

    public init(layout: NodeLayout, runscTOML: String, restartCommand: String? = nil) {
        self.layout = layout
        self.runscTOML = runscTOML
        self.restartCommand = restartCommand
    }

    /// One file the run changed.
    public struct Change: Sendable, Hashable, CustomStringConvertible {
        public enum Action: String, Sendable, Hashable {
            case installed, updated, removed
        }
        /// Host path.
        public var path: String
        public var action: Action
        /// What it is, e.g. "runsc", "containerd config (handler runsc registered)".
        public var what: String
        /// containerd reads it at start: a change needs a restart.
        public var needsRestart: Bool

        public var description: String { "\(action.rawValue) \(path) (\(what))" }
    }

    public struct Report: Sendable, Hashable {
        public var changes: [Change]
        /// The restart command ran (and succeeded).
        public var restarted: Bool

        public var lines: [String] {
            var lines = changes.map(\.description)
            if changes.isEmpty { lines.append("nothing changed") }
            lines.append(
                restarted ? "containerd restarted" : "containerd not restarted (its configuration did not change)")
            return lines
        }
    }

    /// A planned file operation.
    public enum Operation: Sendable, Hashable {
        case write(path: String, bytes: [UInt8], mode: mode_t, change: Change)
        case remove(path: String, change: Change)

        public var change: Change {
            switch self {
            case .write(_, _, _, let change), .remove(_, let change): change
            }
        }
    }

    // MARK: - Rendering runsc.toml

    /// runsc.toml for a GVisorConfiguration (strict: any finding is an error) plus node-local `[runsc_config]`
    /// entries outside the allow-list (`extraFlags`, e.g. `network=none` where the kernel breaks gVisor's
    /// sandbox network); the result is read back as the shim reads it, so a bad flag name fails here.
    public static func runscTOML(configuration: GVisorConfiguration, extraFlags: [String: String] = [:])
        throws(InstallerError) -> String
    {
        let flags: FlagValidation
        do {
            flags = try configuration.validatedFlags(mode: .strict)
        } catch {
            throw .invalidConfiguration(error.description)
        }
        var entries = flags.flags.runscConfig
        for (key, value) in extraFlags { entries.append((key: key, value: value)) }
        let text = RunscTOML.render(runscConfig: entries)
        do {
            _ = try RunscShimConfig.parse(text)
        } catch {
            throw .invalidConfiguration("runsc.toml would not load: \(error)")
        }
        return text
    }

    // MARK: - Install

    public func planInstall() throws(InstallerError) -> [Operation] {
        var operations: [Operation] = []
        // Binaries: all content must be there before anything is written.
        for name in layout.binaries {
            let source = layout.content + "/" + name
            guard FileSystem.isExecutableFile(source) || FileSystem.exists(source) else {
                throw .contentMissing(path: source, what: name)
            }
            guard let bytes = try HostFiles.read(source) else { throw .contentMissing(path: source, what: name) }
            try plan(binary: bytes, named: name, at: layout.binDirectory + "/" + name, into: &operations)
        }
        let helperSource = layout.content + "/" + NodeLayout.helperDirectory
        let helperTarget = layout.binDirectory + "/" + NodeLayout.helperDirectory
        let helpers = HostFiles.regularFiles(in: helperSource)
        for name in helpers {
            guard let bytes = try HostFiles.read(helperSource + "/" + name) else { continue }
            try plan(
                binary: bytes, named: "\(NodeLayout.helperDirectory)/\(name)", at: helperTarget + "/" + name,
                into: &operations)
        }
        for stale in HostFiles.regularFiles(in: layout.onHost(helperTarget)) where !helpers.contains(stale) {
            operations.append(
                .remove(
                    path: helperTarget + "/" + stale,
                    change: Change(
                        path: helperTarget + "/" + stale, action: .removed, what: "stale gVisor helper",
                        needsRestart: false)))
        }

        // runsc.toml.
        let runscTOMLBytes = Array(runscTOML.utf8)
        let existingTOML = try HostFiles.read(layout.onHost(layout.runscTOML))
        if existingTOML != runscTOMLBytes {
            operations.append(
                .write(
                    path: layout.runscTOML, bytes: runscTOMLBytes, mode: 0o644,
                    change: Change(
                        path: layout.runscTOML, action: existingTOML == nil ? .installed : .updated,
                        what: "runsc.toml", needsRestart: true)))
        }

        // containerd: the handler always lives in config.toml, also when it imports drop-ins. gardener-node-agent
        // owns config.toml but edits it in place (`ensureContainerdConfiguration`: decode, set its own keys, encode;
        // other keys, runsc's tables included, stay), so its later changes take effect directly. A drop-in would
        // have to repeat the whole CRI section (containerd replaces an imported plugin section whole) and that copy
        // would override node-agent's next change until this installer ran again. Drop-ins an older gvisor-node
        // wrote are removed.
        let config = try loadContainerdConfig()
        if let registered = try config.registeringRunsc() {
            let state = config.handlerState
            operations.append(
                .write(
                    path: layout.containerdConfig, bytes: Array(registered.utf8), mode: configMode,
                    change: Change(
                        path: layout.containerdConfig, action: .updated,
                        what: state.isAbsent
                            ? "containerd config: handler runsc registered"
                            : "containerd config: handler runsc repaired", needsRestart: true)))
        }
        for dropIn in Self.legacyDropIns(layout: layout, config: config) where FileSystem.exists(layout.onHost(dropIn))
        {
            operations.append(
                .remove(
                    path: dropIn,
                    change: Change(
                        path: dropIn, action: .removed,
                        what: "containerd drop-in of an older gvisor-node (the handler is in config.toml now)",
                        needsRestart: true)))
        }
        return operations
    }

    /// Where older versions put the handler: `conf.d/gvisor-runsc.toml` beside config.toml, or wherever the
    /// config's `imports` picked up that name.
    static func legacyDropIns(layout: NodeLayout, config: ContainerdConfig) -> [String] {
        var paths = [FileSystem.parent(of: layout.containerdConfig) + "/conf.d/" + ContainerdConfig.dropInName]
        if let imported = config.dropInPath(configPath: layout.containerdConfig), !paths.contains(imported) {
            paths.append(imported)
        }
        return paths
    }

    public func install() throws(InstallerError) -> Report {
        try apply(try planInstall())
    }

    // MARK: - Uninstall

    public func planUninstall() throws(InstallerError) -> [Operation] {
        var operations: [Operation] = []
        let configFile = layout.onHost(layout.containerdConfig)
        var dropIns = [FileSystem.parent(of: layout.containerdConfig) + "/conf.d/" + ContainerdConfig.dropInName]
        if FileSystem.exists(configFile) {
            let config = try loadContainerdConfig()
            if let cleaned = try config.removingRunsc() {
                operations.append(
                    .write(
                        path: layout.containerdConfig, bytes: Array(cleaned.utf8), mode: configMode,
                        change: Change(
                            path: layout.containerdConfig, action: .updated,
                            what: "containerd config: handler runsc removed", needsRestart: true)))
            }
            if let dropIn = config.dropInPath(configPath: layout.containerdConfig), !dropIns.contains(dropIn) {
                dropIns.append(dropIn)
            }
        }
        for dropIn in dropIns where FileSystem.exists(layout.onHost(dropIn)) {
            operations.append(
                .remove(
                    path: dropIn,
                    change: Change(path: dropIn, action: .removed, what: "containerd drop-in", needsRestart: true)))
        }
        if FileSystem.exists(layout.onHost(layout.runscTOML)) {
            operations.append(
                .remove(
                    path: layout.runscTOML,
                    change: Change(path: layout.runscTOML, action: .removed, what: "runsc.toml", needsRestart: true)))
        }
        for name in layout.binaries {
            let path = layout.binDirectory + "/" + name
            if FileSystem.exists(layout.onHost(path)) {
                operations.append(
                    .remove(path: path, change: Change(path: path, action: .removed, what: name, needsRestart: false)))
            }
        }
        let helpers = layout.binDirectory + "/" + NodeLayout.helperDirectory
        for name in HostFiles.regularFiles(in: layout.onHost(helpers)) {
            let path = helpers + "/" + name
            operations.append(
                .remove(
                    path: path,
                    change: Change(path: path, action: .removed, what: "gVisor helper", needsRestart: false)))
        }
        return operations
    }

    public func uninstall() throws(InstallerError) -> Report {
        let report = try apply(try planUninstall())
        FileSystem.removeDirectoryIfEmpty(layout.onHost(layout.binDirectory + "/" + NodeLayout.helperDirectory))
        return report
    }

    // MARK: - Applying

    /// Writes the plan in order, then restarts containerd once if any change needs it.
    public func apply(_ operations: [Operation]) throws(InstallerError) -> Report {
        var changes: [Change] = []
        for operation in operations {
            switch operation {
            case .write(let path, let bytes, let mode, let change):
                try HostFiles.writeAtomically(bytes, to: layout.onHost(path), mode: mode)
                changes.append(change)
            case .remove(let path, let change):
                if try HostFiles.remove(layout.onHost(path)) { changes.append(change) }
            }
        }
        var restarted = false
        if changes.contains(where: \.needsRestart) {
            try restartContainerd()
            restarted = true
        }
        return Report(changes: changes, restarted: restarted)
    }

    public func restartContainerd() throws(InstallerError) {
        let command = restartCommand ?? layout.defaultRestartCommand
        let result = Subprocess.run(["/bin/sh", "-c", command])
        guard result.succeeded else {
            throw .restartFailed(command: command, status: result.status, output: result.output)
        }
    }

    // MARK: - Helpers

    func loadContainerdConfig() throws(InstallerError) -> ContainerdConfig {
        let file = layout.onHost(layout.containerdConfig)
        guard let text = try HostFiles.readText(file) else { throw .containerdConfigMissing(path: file) }
        return try ContainerdConfig(text: text, path: file)
    }

    private var configMode: mode_t { FileSystem.status(layout.onHost(layout.containerdConfig))?.permissions ?? 0o644 }

    private func plan(binary bytes: [UInt8], named name: String, at path: String, into operations: inout [Operation])
        throws(InstallerError)
    {
        let target = layout.onHost(path)
        let existing = try HostFiles.read(target)
        if existing == bytes && FileSystem.status(target)?.permissions == 0o755 { return }
        operations.append(
            .write(
                path: path, bytes: bytes, mode: 0o755,
                change: Change(
                    path: path, action: existing == nil ? .installed : .updated, what: name, needsRestart: false)))
    }
}
