import GVisorConfig
import TOMLKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One containerd `config.toml`: its version, imports, and the runsc handler's state, with edits that touch
/// only the runsc entries.
///
/// Edits are line-based (comments, order and formatting of everything else stay byte for byte) and then
/// checked semantically with TOMLKit: the result must parse, hold exactly the wanted handler, and equal the
/// original everywhere else. A failed check is an error; the caller writes nothing.
public struct ContainerdConfig: Sendable {
    /// For messages: the file as this process sees it.
    public let path: String
    public let text: String
    public let version: ContainerdConfigVersion
    /// The `imports` entries, as written.
    public let imports: [String]
    let layout: TOMLLayout

    public init(text: String, path: String) throws(InstallerError) {
        self.path = path
        self.text = text
        let root = try Self.parse(text, path: path)
        switch root["version"] {
        case nil:
            version = .v1
        case let value?:
            guard value.type == .int, let int = value.int, let known = ContainerdConfigVersion(rawValue: int) else {
                throw .unsupportedConfigVersion(path: path, found: Self.describe(value))
            }
            version = known
        }
        imports = (root["imports"]?.array).map { array in array.compactMap { $0.string } } ?? []
        do {
            layout = try TOMLLayout(text)
        } catch {
            throw .malformedTOML(path: path, line: error.line, column: 1, message: error.message)
        }
    }

    // MARK: - State

    /// How the runsc handler stands in this file alone.
    public struct HandlerState: Sendable, Hashable {
        /// The table at this version's path equals what the installer writes.
        public var isRegistered: Bool
        /// Something is at this version's path but differs; the differences, readable.
        public var problems: [String]
        /// runsc tables at other versions' paths (left by older install scripts), as dotted paths.
        public var staleEntries: [String]

        public var isAbsent: Bool { !isRegistered && problems.isEmpty && staleEntries.isEmpty }
        public var isClean: Bool { isRegistered && staleEntries.isEmpty }
    }

    public var handlerState: HandlerState {
        // `text` parsed in init, so this cannot fail.
        let root = (try? Self.parse(text, path: path)) ?? TOMLTable()
        return Self.handlerState(in: root, version: version)
    }

    static func handlerState(in root: TOMLTable, version: ContainerdConfigVersion) -> HandlerState {
        var state = HandlerState(isRegistered: false, problems: [], staleEntries: [])
        if let value = Self.value(at: version.runscPath, in: root) {
            state.problems = Self.differences(value, from: desiredHandler(version))
            state.isRegistered = state.problems.isEmpty
        }
        for other in ContainerdConfigVersion.allRunscPaths where other != version.runscPath {
            if Self.value(at: other, in: root) != nil { state.staleEntries.append(TOMLPath.header(other)) }
        }
        return state
    }

    // MARK: - Edits

    /// The file with handler runsc registered at this version's path and stale runsc entries removed; `nil`
    /// when it already is exactly so.
    public func registeringRunsc() throws(InstallerError) -> String? {
        if handlerState.isClean { return nil }
        let edit = try removal(keepingInsertionPoint: true)
        let block = RuntimeHandler.block(for: version)
        var result: String
        if let insertion = edit.insertionLine {
            var lines = edit.lines
            lines.insert(block, at: insertion)
            result = lines.joined()
        } else {
            result = edit.lines.joined()
            if !result.isEmpty && !result.hasSuffix("\n") { result += "\n" }
            if !result.isEmpty { result += "\n" }
            result += block
        }
        try verify(result, wantsHandler: true)
        return result
    }

    /// The file without any runsc entry (every version's path); `nil` when there is none.
    public func removingRunsc() throws(InstallerError) -> String? {
        let state = handlerState
        if state.isAbsent { return nil }
        let result = try removal(keepingInsertionPoint: false).lines.joined()
        try verify(result, wantsHandler: false)
        return result
    }

    private struct Removal {
        var lines: [String]
        /// Where the first removed table started, when the replacement can go there.
        var insertionLine: Int?
    }

    private func removal(keepingInsertionPoint: Bool) throws(InstallerError) -> Removal {
        let items = layout.items
        func isRunsc(_ path: [String]) -> Bool {
            ContainerdConfigVersion.allRunscPaths.contains { path.starts(with: $0) }
        }
        var removed = Set<Int>()
        for (index, item) in items.enumerated() {
            switch item.kind {
            case .header(let path, _) where isRunsc(path):
                removed.insert(index)
            case .keyValue(let path, _) where isRunsc(path):
                removed.insert(index)
            case .keyValue(let path, let keyLength):
                // `runtimes = { runsc = {...} }`: runsc inside a value that holds other things too.
                for runscPath in ContainerdConfigVersion.allRunscPaths
                where runscPath.starts(with: path) && runscPath.count > path.count {
                    let local = try? Self.parse(layout.text(of: item.lines), path: self.path)
                    let relative = Array(runscPath.dropFirst(path.count - keyLength))
                    if let local, Self.value(at: relative, in: local) != nil {
                        throw .cannotEdit(
                            path: self.path, line: item.lines.lowerBound + 1,
                            reason: "runsc is part of the inline value of \(TOMLPath.header(path))")
                    }
                }
            default:
                break
            }
        }
        // Comments inside a removed table (before its last entry) and the installer's marker go with it.
        for (index, item) in items.enumerated() {
            guard removed.contains(index), case .header = item.kind else { continue }
            var end = index
            var next = index + 1
            while next < items.count {
                if case .header = items[next].kind { break }
                if removed.contains(next) { end = next }
                next += 1
            }
            for inner in index...end { removed.insert(inner) }
            if index > 0, items[index - 1].kind == .trivia,
                layout.text(of: items[index - 1].lines).trimmingWhitespace == RuntimeHandler.marker
            {
                removed.insert(index - 1)
            }
        }
        var removedLines = Set<Int>()
        for index in removed { removedLines.formUnion(items[index].lines) }

        // The replacement goes where the first removed table was, if that was a table of its own (not a
        // dotted key inside another table, where a new header would capture the keys after it).
        var insertionLine: Int?
        if keepingInsertionPoint,
            let first = removed.sorted().first(where: { items[$0].kind != .trivia }),
            case .header = items[first].kind
        {
            let start = first > 0 && removed.contains(first - 1) ? first - 1 : first
            insertionLine = items[start].lines.lowerBound
        }
        // A removed block between a blank line and a blank line (or the end) takes the blank before it along,
        // so uninstall gives back the file as it was before install appended the block.
        var lineIndex = 0
        while lineIndex < layout.lines.count {
            guard removedLines.contains(lineIndex) else {
                lineIndex += 1
                continue
            }
            var end = lineIndex
            while end + 1 < layout.lines.count && removedLines.contains(end + 1) { end += 1 }
            let blankBefore =
                lineIndex > 0 && layout.lines[lineIndex - 1].trimmingWhitespace.isEmpty
                && !removedLines.contains(lineIndex - 1)
            let blankOrEndAfter = end + 1 >= layout.lines.count || layout.lines[end + 1].trimmingWhitespace.isEmpty
            if blankBefore && blankOrEndAfter && lineIndex != insertionLine {
                removedLines.insert(lineIndex - 1)
            }
            lineIndex = end + 1
        }
        var lines: [String] = []
        var newInsertion: Int?
        for (index, line) in layout.lines.enumerated() {
            if index == insertionLine { newInsertion = lines.count }
            if !removedLines.contains(index) { lines.append(line) }
        }
        if let last = lines.last, !last.hasSuffix("\n"), let insertion = newInsertion, insertion == lines.count {
            lines[lines.count - 1] += "\n"
        }
        return Removal(lines: lines, insertionLine: newInsertion)
    }

    /// The result parses, has (or lacks) exactly the wanted handler, and equals the original elsewhere.
    private func verify(_ result: String, wantsHandler: Bool) throws(InstallerError) {
        let edited: TOMLTable
        do {
            edited = try Self.parse(result, path: path)
        } catch {
            throw .verificationFailed(path: path, reason: "the result does not parse: \(error)")
        }
        let state = Self.handlerState(in: edited, version: version)
        if wantsHandler && !state.isClean {
            throw .verificationFailed(path: path, reason: "handler runsc is not as intended: \(state)")
        }
        if !wantsHandler && !state.isAbsent {
            throw .verificationFailed(path: path, reason: "a runsc entry is left: \(state)")
        }
        let original = (try? Self.parse(text, path: path)) ?? TOMLTable()
        guard Self.withoutRunsc(original) == Self.withoutRunsc(edited) else {
            throw .verificationFailed(path: path, reason: "entries other than runsc would change")
        }
    }

    // MARK: - Drop-in

    /// Name of the installer's file in a `conf.d`-style import directory.
    public static let dropInName = "gvisor-runsc.toml"

    /// Where the drop-in goes (host path), when `imports` has a glob that picks up ``dropInName``.
    ///
    /// Relative imports are relative to the config file's directory, as containerd resolves them.
    public func dropInPath(configPath: String) -> String? {
        let directory = configPath.split(separator: "/", omittingEmptySubsequences: false).dropLast()
            .joined(separator: "/")
        for entry in imports {
            let absolute = entry.hasPrefix("/") ? entry : directory + "/" + entry
            guard let slash = absolute.lastIndex(of: "/") else { continue }
            let folder = String(absolute[..<slash])
            let pattern = String(absolute[absolute.index(after: slash)...])
            guard pattern.contains("*"), !folder.contains(where: { "*?[".contains($0) }) else { continue }
            if fnmatch(pattern, Self.dropInName, 0) == 0 {
                return (folder.isEmpty ? "" : folder) + "/" + Self.dropInName
            }
        }
        return nil
    }

    /// The drop-in's text: containerd replaces a whole plugin section with an imported one (it does not merge
    /// keys), so the file repeats this config's CRI plugin section, without any runsc entry, and adds runsc.
    public func dropIn() throws(InstallerError) -> String {
        let root = try Self.parse(text, path: path)
        Self.removeRunsc(from: root)
        let section = Self.value(at: ["plugins", version.criPlugin], in: root)?.table ?? TOMLTable()
        let plugins = TOMLTable()
        plugins[version.criPlugin] = section
        let document = TOMLTable()
        document["plugins"] = plugins
        var body = document.convert(to: .toml, options: [.indentations])
        if !body.hasSuffix("\n") { body += "\n" }
        let result = """
            # Written by gvisor-node from \(path.split(separator: "/").last.map(String.init) ?? "config.toml"); \
            do not edit.
            # containerd replaces a whole plugin section with an imported one (keys are not merged), so this
            # file repeats [plugins.\(TOMLPath.key(version.criPlugin))] of the main config and adds handler runsc.
            version = \(version.rawValue)


            """ + body + "\n" + RuntimeHandler.tables(for: version)
        let parsed: TOMLTable
        do {
            parsed = try Self.parse(result, path: Self.dropInName)
        } catch {
            throw .verificationFailed(path: Self.dropInName, reason: "the drop-in does not parse: \(error)")
        }
        let state = Self.handlerState(in: parsed, version: version)
        guard state.isClean else {
            throw .verificationFailed(path: Self.dropInName, reason: "handler runsc is not as intended: \(state)")
        }
        Self.removeRunsc(from: parsed)
        let original = try Self.parse(text, path: path)
        Self.removeRunsc(from: original)
        guard
            Self.pruned(Self.value(at: ["plugins", version.criPlugin], in: parsed)?.table ?? TOMLTable())
                == Self.pruned(Self.value(at: ["plugins", version.criPlugin], in: original)?.table ?? TOMLTable())
        else {
            throw .verificationFailed(path: Self.dropInName, reason: "the repeated CRI plugin section differs")
        }
        return result
    }

    /// Whether a drop-in text still fits this config (same version, the CRI section repeated, runsc right).
    public func dropInIsCurrent(_ existing: String) -> Bool {
        (try? dropIn()) == existing
    }

    // MARK: - TOMLKit helpers

    static func parse(_ text: String, path: String) throws(InstallerError) -> TOMLTable {
        var line = 1
        var column = 1
        for scalar in text.unicodeScalars {
            if scalar == "\0" {
                throw .malformedTOML(path: path, line: line, column: column, message: "NUL characters are not allowed")
            }
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        // toml++ asserts (SIGABRT in a debug build, undefined behaviour in release) on some invalid documents
        // instead of reporting them; the runsc.toml parser's pre-check finds those first.
        if let (message, position) = TOMLAssertionCheck.firstProblem(in: text) {
            throw .malformedTOML(path: path, line: position.line, column: position.column, message: message)
        }
        do {
            return try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .malformedTOML(
                path: path, line: error.source.begin.line, column: error.source.begin.column,
                message: error.description)
        } catch {
            throw .malformedTOML(path: path, line: 1, column: 1, message: "\(error)")
        }
    }

    static func value(at path: [String], in root: TOMLTable) -> (any TOMLValueConvertible)? {
        var table = root
        for key in path.dropLast() {
            guard let next = table[key]?.table else { return nil }
            table = next
        }
        return path.last.flatMap { table[$0] }
    }

    static func desiredHandler(_ version: ContainerdConfigVersion) -> TOMLTable {
        let root = (try? TOMLTable(string: RuntimeHandler.tables(for: version))) ?? TOMLTable()
        return value(at: version.runscPath, in: root)?.table ?? TOMLTable()
    }

    /// Readable differences between an existing runsc entry and the wanted one.
    static func differences(_ value: any TOMLValueConvertible, from desired: TOMLTable) -> [String] {
        guard let table = value.table else { return ["runsc is \(describe(value)), expected a table"] }
        if table == desired { return [] }
        var problems: [String] = []
        compare(table, desired, path: "runsc", into: &problems)
        return problems.isEmpty ? ["runsc differs from the installer's table"] : problems
    }

    private static func compare(_ actual: TOMLTable, _ wanted: TOMLTable, path: String, into problems: inout [String]) {
        for key in wanted.keys.sorted() {
            let name = path + "." + key
            guard let have = actual[key] else {
                problems.append("\(name) is missing")
                continue
            }
            let want = wanted[key]!
            if let wantTable = want.table, let haveTable = have.table {
                compare(haveTable, wantTable, path: name, into: &problems)
            } else if have.tomlValue != want.tomlValue {
                problems.append("\(name) is \(describe(have)), expected \(describe(want))")
            }
        }
        for key in actual.keys.sorted() where wanted[key] == nil {
            problems.append("\(path).\(key) is not part of the installer's table")
        }
    }

    static func describe(_ value: any TOMLValueConvertible) -> String {
        switch value.type {
        case .string: "\"\(value.string ?? "")\""
        case .int: value.int.map(String.init) ?? "an integer"
        case .bool: value.bool.map(String.init) ?? "a boolean"
        case .double: value.double.map { "\($0)" } ?? "a float"
        case .array:
            "an array " + (value.array.map { array in "[" + array.map(describe).joined(separator: ", ") + "]" } ?? "")
        case .table: "a table"
        case .date, .time, .dateTime: "a \(value.type)"
        }
    }

    static func removeRunsc(from root: TOMLTable) {
        for path in ContainerdConfigVersion.allRunscPaths {
            if let parent = value(at: Array(path.dropLast()), in: root)?.table { parent.remove(at: path.last!) }
        }
    }

    /// The document without runsc, with empty tables dropped (removing the only runtime leaves an empty
    /// `runtimes` on one side and none on the other).
    static func withoutRunsc(_ root: TOMLTable) -> TOMLTable {
        removeRunsc(from: root)
        return pruned(root)
    }

    static func pruned(_ table: TOMLTable) -> TOMLTable {
        for key in table.keys {
            guard let child = table[key]?.table else { continue }
            _ = pruned(child)
            if child.isEmpty { table.remove(at: key) }
        }
        return table
    }
}

extension String {
    var trimmingWhitespace: String {
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, first == " " || first == "\t" || first == "\n" || first == "\r" {
            scalars.removeFirst()
        }
        while let last = scalars.last, last == " " || last == "\t" || last == "\n" || last == "\r" {
            scalars.removeLast()
        }
        return String(String.UnicodeScalarView(scalars))
    }
}
