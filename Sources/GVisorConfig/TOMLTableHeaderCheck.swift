/// Finds table headers that do not start with a key (`[ = 1`, `[]`, `[[ #`), which toml++ (inside TOMLKit) does
/// not report but asserts on: a debug-built toml++ aborts the process, a release build has undefined behaviour.
/// Found by the runsc-toml fuzzer; every such header is invalid TOML, so rejecting it first loses nothing.
///
/// A small lexer: it skips comments and the four kinds of strings and counts brackets and braces, so a `[` that
/// begins a line outside any value is a header, while one inside a multi-line array or string is not.
enum TOMLTableHeaderCheck {
    static func firstProblem(in text: String) -> (String, SourcePosition)? {
        var lexer = Lexer(Array(text.unicodeScalars))
        return lexer.run()
    }

    private struct Lexer {
        let scalars: [Unicode.Scalar]
        var index = 0
        var line = 1
        var column = 1

        init(_ scalars: [Unicode.Scalar]) {
            self.scalars = scalars
        }

        var current: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

        func peek(_ offset: Int) -> Unicode.Scalar? {
            index + offset < scalars.count ? scalars[index + offset] : nil
        }

        mutating func advance() {
            guard let scalar = current else { return }
            index += 1
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }

        mutating func skipBlanks() -> Bool {
            var skipped = false
            while let scalar = current, scalar == " " || scalar == "\t" {
                advance()
                skipped = true
            }
            return skipped
        }

        mutating func run() -> (String, SourcePosition)? {
            var depth = 0
            var atLineStart = true
            if current == "\u{FEFF}" { advance() }
            while let scalar = current {
                switch scalar {
                case "\n":
                    atLineStart = true
                    advance()
                    continue
                case " ", "\t", "\r":
                    advance()
                    continue
                case "#":
                    while let next = current, next != "\n" { advance() }
                    continue
                case "\"", "'":
                    skipString(quote: scalar)
                case "[":
                    if atLineStart && depth == 0, let problem = checkHeader() { return problem }
                    depth += 1
                    advance()
                case "{":
                    depth += 1
                    advance()
                case "]", "}":
                    depth = max(0, depth - 1)
                    advance()
                default:
                    advance()
                }
                atLineStart = false
            }
            return nil
        }

        /// At a header's `[`: the key must start after `[` or `[[` and blanks. Leaves the index unchanged.
        mutating func checkHeader() -> (String, SourcePosition)? {
            let saved = (index, line, column)
            defer { (index, line, column) = saved }
            advance()
            if !skipBlanks(), current == "[" {
                advance()
                _ = skipBlanks()
            }
            guard let scalar = current else { return nil }  // toml++ reports the end of input itself
            let isKeyStart =
                ("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
                || scalar == "_" || scalar == "-" || scalar == "\"" || scalar == "'"
            guard !isKeyStart else { return nil }
            let seen = scalar == "\n" ? "the end of the line" : JSONText.quoted(String(scalar))
            return (
                "a table header must start with a key after \"[\", saw \(seen)",
                SourcePosition(line: line, column: column)
            )
        }

        /// Skips a string from its opening quote; multi-line strings may end with up to two extra quotes.
        mutating func skipString(quote: Unicode.Scalar) {
            let isMultiLine = peek(1) == quote && peek(2) == quote
            let escapes = quote == "\""
            if isMultiLine {
                for _ in 0..<3 { advance() }
                while let scalar = current {
                    if escapes && scalar == "\\" {
                        advance()
                        advance()
                    } else if scalar == quote && peek(1) == quote && peek(2) == quote {
                        for _ in 0..<3 { advance() }
                        var extra = 0
                        while current == quote && extra < 2 {
                            advance()
                            extra += 1
                        }
                        return
                    } else {
                        advance()
                    }
                }
                return
            }
            advance()
            while let scalar = current, scalar != "\n" {
                if escapes && scalar == "\\" {
                    advance()
                    advance()
                } else if scalar == quote {
                    advance()
                    return
                } else {
                    advance()
                }
            }
        }
    }
}
