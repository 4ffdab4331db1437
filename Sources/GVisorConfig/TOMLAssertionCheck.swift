/// Finds what toml++ (inside TOMLKit) does not report but asserts on, found by the runsc-toml fuzzer: a table
/// header that does not start with a key (`[ = 1`, `[]`), a bracket closed by the wrong kind (`a = [[}`), and a
/// Unicode line separator (U+2028, U+2029, U+0085) outside strings and comments. A debug-built toml++ aborts the
/// process on them and a release build has undefined behaviour; every such document is invalid TOML, so rejecting
/// it first loses nothing. Package-visible so every TOMLKit caller (runsc.toml here, containerd's config.toml in
/// NodeInstaller) runs the same check.
///
/// A small lexer: it skips comments and the four kinds of strings and keeps a stack of open brackets and braces,
/// so a `[` that begins a line outside any value is a header, while one inside a multi-line array or string is not.
package enum TOMLAssertionCheck {
    /// The first construct toml++ would assert on, with what is wrong and where; nil when there is none.
    package static func firstProblem(in text: String) -> (String, SourcePosition)? {
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
            var inHeader = false
            var expectingValue = false
            if current == "\u{FEFF}" { advance() }
            while let scalar = current {
                if expectingValue {
                    switch scalar {
                    case " ", "\t", "\r", "\n":
                        advance()
                        continue
                    case "#":
                        while let next = current, next != "\n" { advance() }
                        continue
                    case "\"", "'", "[", "{", "]", "}", ",", "\u{2028}", "\u{2029}", "\u{85}":
                        expectingValue = false
                    default:
                        expectingValue = false
                        if let problem = checkBareValue() { return problem }
                        atLineStart = false
                        continue
                    }
                }
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
                    if scalar == "[", atLineStart, open.isEmpty {
                        if let problem = checkHeader() { return problem }
                        inHeader = true
                    }
                    open.append((scalar, position))
                    advance()
                    expectingValue = scalar == "[" && !inHeader
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
                    if open.isEmpty { inHeader = false }
                    advance()
                case "=":
                    expectingValue = !inHeader
                    advance()
                case ",":
                    expectingValue = !inHeader && open.last?.bracket == "["
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

        /// A value that is not a string, array or inline table: a boolean, number or date/time, up to the next
        /// space, bracket, comma or comment (a date's space before its time belongs to it). toml++ picks a parser
        /// from the first characters and asserts when the rest disagrees (`1979-05-27Tx`), so the whole token must
        /// match TOML's grammar first.
        mutating func checkBareValue() -> (String, SourcePosition)? {
            let start = position
            var token = ""
            func isTerminator(_ scalar: Unicode.Scalar) -> Bool {
                " \t\r\n]},#".unicodeScalars.contains(scalar)
            }
            while let scalar = current, !isTerminator(scalar) {
                token.unicodeScalars.append(scalar)
                advance()
                if current == " ", TOMLValueGrammar.isDate(token), let next = peek(1), ("0"..."9").contains(next) {
                    token.unicodeScalars.append(" ")
                    advance()
                }
            }
            guard !TOMLValueGrammar.isValue(token) else { return nil }
            return (
                "invalid value \(JSONText.quoted(token)): expected a string, number, boolean, date or time, array or "
                    + "inline table",
                start
            )
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

/// TOML 1.0's grammar for the values that are neither strings nor containers.
enum TOMLValueGrammar {
    static func isValue(_ token: String) -> Bool {
        let s = Array(token.unicodeScalars)
        return token == "true" || token == "false" || isInteger(s) || isFloat(s) || isDateTime(s)
    }

    static func isDate(_ token: String) -> Bool { isDate(Array(token.unicodeScalars)[...]) }

    private static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }

    /// Digits of a kind, each `_` between two digits.
    private static func isDigits(_ s: ArraySlice<Unicode.Scalar>, _ digit: (Unicode.Scalar) -> Bool) -> Bool {
        guard let first = s.first, let last = s.last, digit(first), digit(last) else { return false }
        var previousUnderscore = false
        for c in s {
            if c == "_" {
                if previousUnderscore { return false }
                previousUnderscore = true
            } else if digit(c) {
                previousUnderscore = false
            } else {
                return false
            }
        }
        return true
    }

    private static func dropSign(_ s: ArraySlice<Unicode.Scalar>) -> ArraySlice<Unicode.Scalar> {
        s.first == "+" || s.first == "-" ? s.dropFirst() : s
    }

    /// An unsigned decimal integer without leading zeros.
    private static func isDecimal(_ s: ArraySlice<Unicode.Scalar>) -> Bool {
        isDigits(s, isDigit) && (s.first != "0" || s.count == 1)
    }

    private static func isInteger(_ s: [Unicode.Scalar]) -> Bool {
        if s.count > 2, s[0] == "0" {
            let body = s[2...]
            switch s[1] {
            case "x": return isDigits(body) { isDigit($0) || ("a"..."f").contains($0) || ("A"..."F").contains($0) }
            case "o": return isDigits(body) { ("0"..."7").contains($0) }
            case "b": return isDigits(body) { $0 == "0" || $0 == "1" }
            default: break
            }
        }
        return isDecimal(dropSign(s[...]))
    }

    private static func isFloat(_ s: [Unicode.Scalar]) -> Bool {
        let unsigned = dropSign(s[...])
        if unsigned.elementsEqual("inf".unicodeScalars) || unsigned.elementsEqual("nan".unicodeScalars) { return true }
        let exponentIndex = unsigned.firstIndex { $0 == "e" || $0 == "E" }
        let mantissa = unsigned[..<(exponentIndex ?? unsigned.endIndex)]
        let dot = mantissa.firstIndex(of: ".")
        guard isDecimal(mantissa[..<(dot ?? mantissa.endIndex)]) else { return false }
        if let dot, !isDigits(mantissa[(dot + 1)...], isDigit) { return false }
        if let exponentIndex, !isDigits(dropSign(unsigned[(exponentIndex + 1)...]), isDigit) { return false }
        return dot != nil || exponentIndex != nil
    }

    private static func isFixed(_ s: ArraySlice<Unicode.Scalar>, _ pattern: String) -> Bool {
        s.count == pattern.unicodeScalars.count
            && zip(s, pattern.unicodeScalars).allSatisfy { c, p in p == "d" ? isDigit(c) : c == p }
    }

    private static func isDate(_ s: ArraySlice<Unicode.Scalar>) -> Bool { isFixed(s, "dddd-dd-dd") }

    /// `HH:MM:SS` with an optional fraction.
    private static func isTime(_ s: ArraySlice<Unicode.Scalar>) -> Bool {
        guard s.count >= 8, isFixed(s.prefix(8), "dd:dd:dd") else { return false }
        let rest = s.dropFirst(8)
        return rest.isEmpty || (rest.first == "." && rest.count > 1 && rest.dropFirst().allSatisfy(isDigit))
    }

    private static func isDateTime(_ s: [Unicode.Scalar]) -> Bool {
        let all = s[...]
        if isDate(all) || isTime(all) { return true }
        guard s.count > 11, isDate(all.prefix(10)), ["T", "t", " "].contains(s[10]) else { return false }
        var time = all.dropFirst(11)
        if time.last == "Z" || time.last == "z" {
            time = time.dropLast()
        } else if time.count > 6, isFixed(time.suffix(6).dropFirst(), "dd:dd"),
            let sign = time.suffix(6).first, sign == "+" || sign == "-"
        {
            time = time.dropLast(6)
        }
        return isTime(time)
    }
}
