import GVisorConfig
import HostOS
import Yams

extension GVisorConfiguration {
    /// Decodes a `providerConfig` that may be missing: `nil` or only whitespace gives ``empty``, anything else
    /// must be a complete document.
    public static func fromProviderConfig(
        _ raw: String?, unknownFields: UnknownFieldPolicy = .reject
    ) throws(GVisorConfigurationError) -> GVisorConfiguration {
        guard let raw, raw.contains(where: { !$0.isWhitespace }) else { return .empty }
        return try GVisorConfiguration(decoding: raw, unknownFields: unknownFields)
    }

    /// Decodes a YAML or JSON document (JSON is read as the YAML subset it is, errors still speak of JSON).
    ///
    /// Stricter than the Go decoder about types: a flag value must be a string, so YAML's unquoted `true` or `12`
    /// is an error that says to quote it, instead of a Go unmarshalling message.
    public init(decoding text: String, unknownFields: UnknownFieldPolicy = .reject) throws(GVisorConfigurationError) {
        self = try ConfigurationDocumentDecoder(text: text, file: nil, unknownFields: unknownFields).decode()
    }

    /// Decodes UTF-8 bytes, e.g. a `RawExtension`'s raw JSON.
    public init(decoding bytes: [UInt8], unknownFields: UnknownFieldPolicy = .reject) throws(GVisorConfigurationError) {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw GVisorConfigurationError(.invalidUTF8)
        }
        try self.init(decoding: text, unknownFields: unknownFields)
    }

    /// Reads and decodes a file (`-` is standard input); errors carry the file's path.
    public init(contentsOfFile path: String, unknownFields: UnknownFieldPolicy = .reject)
        throws(GVisorConfigurationError)
    {
        let name = path == "-" ? "standard input" : path
        let bytes: [UInt8]
        do {
            bytes = try HostFile.read(path)
        } catch {
            throw GVisorConfigurationError(.unreadableFile(error.reason), file: name)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw GVisorConfigurationError(.invalidUTF8, file: name)
        }
        self = try ConfigurationDocumentDecoder(text: text, file: name, unknownFields: unknownFields).decode()
    }

    static let fieldNames = ["apiVersion", "configFlags", "kind", "testImageTag"]
    /// The group older README text used; worth a hint because it looks right at a glance.
    static let legacyAPIVersion = "gvisor.os.extensions.gardener.cloud/v1alpha1"
}

/// Walks the Yams node tree by hand so that every error can name its field path and position.
struct ConfigurationDocumentDecoder {
    let text: String
    let file: String?
    let unknownFields: GVisorConfiguration.UnknownFieldPolicy
    let format: GVisorConfiguration.DocumentFormat

    init(text: String, file: String?, unknownFields: GVisorConfiguration.UnknownFieldPolicy) {
        self.text = text
        self.file = file
        self.unknownFields = unknownFields
        let first = text.unicodeScalars.first { !($0.properties.isWhitespace || $0 == "\u{FEFF}") }
        self.format = first == "{" || first == "[" ? .json : .yaml
    }

    func decode() throws(GVisorConfigurationError) -> GVisorConfiguration {
        let root = try compose()
        guard let root else { throw error(.emptyDocument) }
        guard case .mapping(let mapping) = root else {
            throw error(
                .wrongType(found: describe(root), expected: "a mapping with apiVersion and kind"), at: root)
        }
        var fields: [String: Node] = [:]
        var order: [(name: String, key: Node)] = []
        for (key, value) in mapping {
            let name = try keyName(key, in: "")
            fields[name] = value
            order.append((name, key))
        }

        let apiVersion = try requiredString("apiVersion", in: fields, root: root)
        guard apiVersion == GVisorConfiguration.apiVersion else {
            let hint =
                apiVersion == GVisorConfiguration.legacyAPIVersion
                ? "that group only ever appeared in old documentation" : nil
            throw error(
                .wrongValue(found: quoted(apiVersion), expected: quoted(GVisorConfiguration.apiVersion)),
                path: "apiVersion", at: fields["apiVersion"], hint: hint)
        }
        let kind = try requiredString("kind", in: fields, root: root)
        guard kind == GVisorConfiguration.kind else {
            throw error(
                .wrongValue(found: quoted(kind), expected: quoted(GVisorConfiguration.kind)),
                path: "kind", at: fields["kind"])
        }
        if unknownFields == .reject,
            let unknown = order.first(where: { !GVisorConfiguration.fieldNames.contains($0.name) })
        {
            throw error(.unknownField(known: GVisorConfiguration.fieldNames), path: unknown.name, at: unknown.key)
        }

        var configuration = GVisorConfiguration()
        if let node = fields["configFlags"], !isNull(node) {
            guard case .mapping(let flags) = node else {
                throw error(
                    .wrongType(found: describe(node), expected: "a mapping of flag names to quoted strings"),
                    path: "configFlags", at: node)
            }
            var result: [String: String] = [:]
            for (key, value) in flags {
                let name = try keyName(key, in: "configFlags")
                result[name] = try string(value, path: "configFlags.\(name)", key: name)
            }
            configuration.configFlags = result
        }
        if let node = fields["testImageTag"], !isNull(node) {
            configuration.testImageTag = try string(node, path: "testImageTag", key: "testImageTag")
        }
        return configuration
    }

    // MARK: - Parsing

    private func compose() throws(GVisorConfigurationError) -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let yamlError as YamlError {
            throw translate(yamlError)
        } catch {
            throw self.error(.malformed("\(error)"))
        }
    }

    private func translate(_ yamlError: YamlError) -> GVisorConfigurationError {
        switch yamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = problem
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            return error(.malformed(message), position: SourcePosition(line: mark.line, column: mark.column))
        case .reader(let problem, _, _, _):
            return error(.malformed(problem))
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Yams marks the first occurrence of the first duplicate; say so rather than pose as the error's spot.
            return error(
                .duplicateKeys(duplicates),
                hint: "first occurrence at \(SourcePosition(line: context.mark.line, column: context.mark.column))")
        default:
            return error(.malformed("\(yamlError)"))
        }
    }

    // MARK: - Fields

    private func requiredString(_ name: String, in fields: [String: Node], root: Node)
        throws(GVisorConfigurationError) -> String
    {
        let expected =
            name == "apiVersion" ? quoted(GVisorConfiguration.apiVersion) : quoted(GVisorConfiguration.kind)
        guard let node = fields[name], !isNull(node) else {
            throw error(.missingField(expected: expected), path: name, at: fields[name] ?? root)
        }
        return try string(node, path: name, key: name)
    }

    private func keyName(_ node: Node, in parent: String) throws(GVisorConfigurationError) -> String {
        guard case .scalar(let scalar) = node else {
            throw error(.wrongType(found: describe(node), expected: "a string key"), path: parent, at: node)
        }
        return scalar.string
    }

    /// Accepts only scalars that resolve to `str`, i.e. quoted text or plain text that is not a bool, number or null.
    private func string(_ node: Node, path: String, key: String) throws(GVisorConfigurationError) -> String {
        if case .scalar(let scalar) = node, node.tag.rawValue == Tag.Name.str.rawValue {
            return scalar.string
        }
        var hint: String?
        if case .scalar(let scalar) = node, !isNull(node) {
            hint =
                format == .json
                ? "write it as a JSON string: \(quoted(key)): \(quoted(scalar.string))"
                : "quote it: \(key): \(quoted(scalar.string))"
        }
        throw error(.wrongType(found: describe(node), expected: "a quoted string"), path: path, at: node, hint: hint)
    }

    private func isNull(_ node: Node) -> Bool {
        node.tag.rawValue == Tag.Name.null.rawValue
    }

    private func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            switch node.tag.rawValue {
            case Tag.Name.bool.rawValue: return "a boolean (\(scalar.string))"
            case Tag.Name.int.rawValue: return "an integer (\(scalar.string))"
            case Tag.Name.float.rawValue: return "a number (\(scalar.string))"
            case Tag.Name.null.rawValue: return scalar.string.isEmpty ? "no value (null)" : "null (\(scalar.string))"
            case Tag.Name.timestamp.rawValue: return "a timestamp (\(scalar.string))"
            case Tag.Name.str.rawValue: return "a string (\(quoted(scalar.string)))"
            case let tag: return "a value tagged \(tag) (\(scalar.string))"
            }
        case .mapping: return format == .json ? "an object" : "a mapping"
        case .sequence: return format == .json ? "an array" : "a list"
        case .alias: return "an alias"
        }
    }

    private func quoted(_ text: String) -> String {
        JSONText.quoted(text)
    }

    private func error(
        _ problem: GVisorConfigurationError.Problem, path: String = "", at node: Node? = nil,
        position: SourcePosition? = nil, hint: String? = nil
    ) -> GVisorConfigurationError {
        let position = position ?? node?.mark.map { SourcePosition(line: $0.line, column: $0.column) }
        return GVisorConfigurationError(
            problem, path: path, format: format, position: position, file: file, hint: hint)
    }
}
