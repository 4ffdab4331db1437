/// Small text helpers, so the library needs nothing beyond FoundationEssentials.
enum Text {
    static func isSpace(_ character: Character) -> Bool {
        character == " " || character == "\t" || character == "\n" || character == "\r"
    }

    static func trimmed(_ text: some StringProtocol) -> String {
        String(text.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }

    /// A plain decimal number (ASCII digits only: no sign, no spaces), at most 9 digits.
    static func decimal(_ text: Substring) -> UInt32? {
        guard !text.isEmpty, text.count <= 9, text.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return UInt32(text)
    }
}
