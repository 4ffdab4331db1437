/// Finds what toml++ (inside TOMLKit) does not report but asserts on, found by the runsc-toml fuzzer: a table
/// header that does not start with a key (`[ = 1`, `[]`), a bracket closed by the wrong kind (`a = [[}`), and a
/// Unicode line separator (U+2028, U+2029, U+0085) outside strings and comments. A debug-built toml++ aborts the
/// process on them and a release build has undefined behaviour; every such document is invalid TOML, so rejecting
/// it first loses nothing.
///
/// A small lexer: it skips comments and the four kinds of strings and keeps a stack of open brackets and braces,
/// so a `[` that begins a line outside any value is a header, while one inside a multi-line array or string is not.
enum TOMLAssertionCheck {
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

        var position: SourcePosition { SourcePosition(line: line, column: column) }

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
            var open: [(bracket: Unicode.Scalar, position: SourcePosition)] = []
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
                case "[", "{":
                    if scalar == "[", atLineStart, open.isEmpty, let problem = checkHeader() { return problem }
                    open.append((scalar, position))
                    advance()
                case "]", "}":
                    // A closer with nothing open is left to toml++, which reports it.
                    if let last = open.popLast() {
                        let expected: Unicode.Scalar = last.bracket == "[" ? "]" : "}"
                        if scalar != expected {
                            return (
                                "expected \"\(expected)\" to close the \"\(last.bracket)\" of \(last.position), "
                                    + "saw \"\(scalar)\"",
                                position
                            )
                        }
                    }
                    advance()
                case "\u{2028}", "\u{2029}", "\u{85}":
                    let code = "U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)
                    return ("\(code) (a line separator) is only allowed in strings and comments", position)
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

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
