import GVisorConfig
import Testing

/// Headers without a key abort toml++ (an assertion); they must come back as named syntax errors instead.
struct TOMLAssertionCheckTests {
    @Test(
        arguments: [
            ("[ = \"true\"\ndebug = true\n", 1, 3, "saw \"=\""),
            ("root = \"/r\"\n\n  [ # comment\n", 3, 5, "saw \"#\""),
            ("[[ =]]\n", 1, 4, "saw \"=\""),
            ("a = 1\n[\n", 2, 2, "saw the end of the line"),
            ("\u{FEFF}[.x]\n", 1, 3, "saw \".\""),
        ])
    func headersWithoutKeysAreNamedErrors(text: String, line: Int, column: Int, seen: String) {
        #expect {
            try RunscShimConfig.parse(text, file: "runsc.toml")
        } throws: { error in
            guard let error = error as? RunscTOMLError,
                case .syntax(let message, let position) = error.problem
            else { return false }
            return message == "a table header must start with a key after \"[\", \(seen)"
                && position == SourcePosition(line: line, column: column) && "\(error)".contains("runsc.toml")
        }
    }

    @Test(
        arguments: [
            ("iin=[[}", 1, 7, "expected \"]\" to close the \"[\" of line 1, column 6, saw \"}\""),
            ("a = { b = [ }\n", 1, 13, "expected \"]\" to close the \"[\" of line 1, column 11, saw \"}\""),
            ("a = [\n 1, {x = 2 ]\n", 2, 12, "expected \"}\" to close the \"{\" of line 2, column 5, saw \"]\""),
            ("a = [\u{2028}]\n", 1, 6, "U+2028 (a line separator) is only allowed in strings and comments"),
            ("a = [ 1,\u{85} ]\n", 1, 9, "U+0085 (a line separator) is only allowed in strings and comments"),
        ])
    func mismatchedBracketsAndLineSeparatorsAreNamedErrors(text: String, line: Int, column: Int, message: String) {
        #expect {
            try RunscShimConfig.parse(text, file: "runsc.toml")
        } throws: { error in
            guard let error = error as? RunscTOMLError, case .syntax(let found, let position) = error.problem else {
                return false
            }
            return found == message && position == SourcePosition(line: line, column: column)
        }
    }

    @Test(
        arguments: [
            ("io_uid = 1979-05-27Troot07:32:00Z\n", 1, 10, "1979-05-27Troot07:32:00Z"),
            ("a = [1, 2x]\n", 1, 9, "2x"),
            ("[t]\nb = { c = 0x }\n", 2, 11, "0x"),
            ("d = 1__0\n", 1, 5, "1__0"),
            ("e = 07\n", 1, 5, "07"),
            ("f = 1.\n", 1, 5, "1."),
            ("g = 1979-05-27T07:32\n", 1, 5, "1979-05-27T07:32"),
            ("h = True\n", 1, 5, "True"),
        ])
    func malformedBareValuesAreNamedErrors(text: String, line: Int, column: Int, token: String) {
        #expect {
            try RunscShimConfig.parse(text, file: "runsc.toml")
        } throws: { error in
            guard let error = error as? RunscTOMLError, case .syntax(let found, let position) = error.problem else {
                return false
            }
            return found.hasPrefix("invalid value \"\(token)\": expected a string, number")
                && position == SourcePosition(line: line, column: column)
        }
    }

    /// Every kind of TOML value passes the check (and toml++ reads it).
    @Test func everyValueKindPasses() throws {
        let text = #"""
            b1 = true
            b2 = false
            i = [0, +1, -2, 1_000, 0xDEAD_beef, 0o755, 0b1010]
            f = [1.0, -0.5, 3e10, 6.626e-34, 1_000.000_1, 1E+2, inf, -inf, +nan, 0.0]
            d = [1979-05-27T07:32:00Z, 1979-05-27t07:32:00.999-07:00, 1979-05-27 07:32:00, 1979-05-27, 07:32:00.5]
            t = { x = 1, y = [ "a", 'b', """c""", '''d''' ], z = { } }
            [[a.b]]
            "q.k" = 2 # ]
            [runsc_config]
            debug = true
            """#
        let loaded = try RunscShimConfig.parse(text)
        #expect(loaded.config.runscConfig == ["debug": "true"])
    }

    /// Brackets inside values, strings and comments are not headers.
    @Test(
        arguments: [
            "x = [\n  [ {a = 1} ],\n  [ ]\n]\n[runsc_config]\ndebug = \"true\"\n",
            "s = \"\"\"\n[ = not a header \\\"\"\"\n\"\"\"\"\n[runsc_config]\n",
            "l = '''\n[ ]\n'''\n# [ =\n\"[ =\" = 1\n['runsc_config']\n",
            "t = { a = [ [ ] ] }\n[ runsc_config ]\n",
            "c = \"\u{2028}]}\" # \u{2029} [ }\nd = '{'\n[runsc_config]\n",
        ])
    func bracketsOutsideHeadersAreFine(text: String) throws {
        _ = try RunscShimConfig.parse(text)
    }
}
