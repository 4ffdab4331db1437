/// Where each table header and key/value pair of a TOML document sits, line by line, so the installer can
/// remove or replace exactly its own entries and leave every other byte (comments, order, indentation) alone.
///
/// This is a layout scanner, not a validating parser: callers parse the same text with TOMLKit first, so
/// the document is known to be valid TOML, and check the edited result with TOMLKit again.
struct TOMLLayout: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// `[a.b]` (or `[[a.b]]` when `isArray`).
        case header(path: [String], isArray: Bool)
        /// `key = value`; `path` is the full dotted path: the current table's path plus the key's
        /// (`keyLength` components).
        case keyValue(path: [String], keyLength: Int)
        /// Blank or comment-only line.
        case trivia
    }

    struct Item: Sendable, Hashable {
        var kind: Kind
        /// Line indices (0-based) the item spans; a multi-line value spans several.
        var lines: ClosedRange<Int>
    }

    /// The document's lines, each with its line terminator (the last may have none).
    var lines: [String]
    var items: [Item]

    init(_ text: String) throws(TOMLLayoutError) {
        lines = TOMLLayout.splitLines(text)
        items = []
        var table: [String] = []
        var index = 0
        while index < lines.count {
            var scanner = LineScanner(Array(lines[index].unicodeScalars))
            scanner.skipWhitespace()
            if scanner.atEndOfContent || scanner.peek == "#" {
                items.append(Item(kind: .trivia, lines: index...index))
                index += 1
                continue
            }
            if scanner.peek == "[" {
                scanner.advance()
                let isArray = scanner.peek == "["
                if isArray { scanner.advance() }
                let path = try scanner.keyPath(line: index)
                scanner.skipWhitespace()
                guard scanner.consume("]"), !isArray || scanner.consume("]") else {
                    throw TOMLLayoutError(line: index + 1, message: "table header does not end with \"]\"")
                }
                table = path
                items.append(Item(kind: .header(path: path, isArray: isArray), lines: index...index))
                index += 1
                continue
            }
            let key = try scanner.keyPath(line: index)
            scanner.skipWhitespace()
            guard scanner.consume("=") else {
                throw TOMLLayoutError(
                    line: index + 1, message: "expected \"=\" after key \(key.joined(separator: "."))")
            }
            let end = try valueEnd(startLine: index, scanner: scanner)
            items.append(Item(kind: .keyValue(path: table + key, keyLength: key.count), lines: index...end))
            index = end + 1
        }
    }

    /// The text of the given lines, concatenated.
    func text(of range: ClosedRange<Int>) -> String { lines[range].joined() }

    /// Follows a value from just after `=` to the line it ends on: strings (basic, literal, multi-line),
    /// arrays and inline tables may hold newlines, `#` and brackets that are not structure.
    private func valueEnd(startLine: Int, scanner start: LineScanner) throws(TOMLLayoutError) -> Int {
        var line = startLine
        var scanner = start
        var depth = 0
        enum StringState { case none, multiBasic, multiLiteral }
        var state = StringState.none
        while true {
            while let c = scanner.peek {
                switch state {
                case .multiBasic:
                    if c == "\\" {
                        scanner.advance()
                        scanner.advance()
                    } else if scanner.consume("\"\"\"") {
                        while scanner.peek == "\"" { scanner.advance() }
                        state = .none
                    } else {
                        scanner.advance()
                    }
                    continue
                case .multiLiteral:
                    if scanner.consume("'''") {
                        while scanner.peek == "'" { scanner.advance() }
                        state = .none
                    } else {
                        scanner.advance()
                    }
                    continue
                case .none:
                    break
                }
                if c == "#" { break }
                if scanner.consume("\"\"\"") {
                    state = .multiBasic
                } else if scanner.consume("'''") {
                    state = .multiLiteral
                } else if c == "\"" {
                    scanner.advance()
                    while let s = scanner.peek, s != "\"" {
                        if s == "\\" { scanner.advance() }
                        scanner.advance()
                    }
                    guard scanner.consume("\"") else {
                        throw TOMLLayoutError(line: line + 1, message: "unterminated string")
                    }
                } else if c == "'" {
                    scanner.advance()
                    while let s = scanner.peek, s != "'" { scanner.advance() }
                    guard scanner.consume("'") else {
                        throw TOMLLayoutError(line: line + 1, message: "unterminated literal string")
                    }
                } else if c == "[" || c == "{" {
                    depth += 1
                    scanner.advance()
                } else if c == "]" || c == "}" {
                    depth -= 1
                    scanner.advance()
                } else {
                    scanner.advance()
                }
            }
            if state == .none && depth <= 0 { return line }
            line += 1
            guard line < lines.count else {
                throw TOMLLayoutError(line: startLine + 1, message: "value does not end before the end of the file")
            }
            scanner = LineScanner(Array(lines[line].unicodeScalars))
        }
    }

    static func splitLines(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if character == "\n" || character == "\r\n" {
                result.append(current)
                current = ""
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }
}

/// The scanner met something it cannot lay out (TOMLKit accepted the file, so this means an unusual form).
struct TOMLLayoutError: Error, Sendable, Hashable {
    var line: Int
    var message: String
}

/// Cursor over one line's scalars (the terminator is treated as end of content).
private struct LineScanner {
    let scalars: [Unicode.Scalar]
    var position = 0

    init(_ scalars: [Unicode.Scalar]) {
        var trimmed = scalars
        while let last = trimmed.last, last == "\n" || last == "\r" { trimmed.removeLast() }
        self.scalars = trimmed
    }

    var peek: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }
    var atEndOfContent: Bool { position >= scalars.count }

    mutating func advance() { position += 1 }

    mutating func consume(_ literal: String) -> Bool {
        let wanted = Array(literal.unicodeScalars)
        guard position + wanted.count <= scalars.count, Array(scalars[position..<position + wanted.count]) == wanted
        else { return false }
        position += wanted.count
        return true
    }

    mutating func skipWhitespace() {
        while let c = peek, c == " " || c == "\t" { advance() }
    }

    /// `a.b."c.d".'e'` → `["a", "b", "c.d", "e"]`.
    mutating func keyPath(line: Int) throws(TOMLLayoutError) -> [String] {
        var path: [String] = []
        while true {
            skipWhitespace()
            path.append(try key(line: line))
            skipWhitespace()
            guard consume(".") else { return path }
        }
    }

    private mutating func key(line: Int) throws(TOMLLayoutError) -> String {
        guard let first = peek else { throw TOMLLayoutError(line: line + 1, message: "expected a key") }
        var result = ""
        if first == "\"" {
            advance()
            while let c = peek, c != "\"" {
                advance()
                if c == "\\", let escaped = peek {
                    advance()
                    switch escaped {
                    case "n": result.unicodeScalars.append("\n")
                    case "t": result.unicodeScalars.append("\t")
                    case "r": result.unicodeScalars.append("\r")
                    case "b": result.unicodeScalars.append("\u{8}")
                    case "f": result.unicodeScalars.append("\u{C}")
                    case "u", "U":
                        let count = escaped == "u" ? 4 : 8
                        var hex = ""
                        for _ in 0..<count {
                            if let h = peek { hex.unicodeScalars.append(h) }
                            advance()
                        }
                        guard let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else {
                            throw TOMLLayoutError(line: line + 1, message: "bad escape in key")
                        }
                        result.unicodeScalars.append(scalar)
                    default: result.unicodeScalars.append(escaped)
                    }
                } else {
                    result.unicodeScalars.append(c)
                }
            }
            guard consume("\"") else { throw TOMLLayoutError(line: line + 1, message: "unterminated quoted key") }
            return result
        }
        if first == "'" {
            advance()
            while let c = peek, c != "'" {
                result.unicodeScalars.append(c)
                advance()
            }
            guard consume("'") else { throw TOMLLayoutError(line: line + 1, message: "unterminated quoted key") }
            return result
        }
        while let c = peek,
            c.properties.isASCIIHexDigit || ("A"..."Z").contains(c) || ("a"..."z").contains(c)
                || ("0"..."9").contains(c) || c == "_" || c == "-"
        {
            result.unicodeScalars.append(c)
            advance()
        }
        guard !result.isEmpty else { throw TOMLLayoutError(line: line + 1, message: "expected a key") }
        return result
    }
}
