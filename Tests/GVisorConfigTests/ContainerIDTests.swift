import GVisorConfig
import Testing

@Suite("ContainerID")
struct ContainerIDTests {
    static let hex64 = String(repeating: "0123456789abcdef", count: 4)

    @Test(arguments: [
        "a", "Z", "7", "abc", hex64, "A.b_c-d", "a.b", "x-1", "pod_1.sandbox-2", "1.2.3",
        String(repeating: "a", count: 76),
    ])
    func acceptsContainerdIdentifiers(_ id: String) throws {
        #expect(try ContainerID(id).rawValue == id)
    }

    @Test(arguments: [
        ("", ContainerIDError.Rule.empty),
        (String(repeating: "a", count: 77), .tooLong(77)),
        (hex64 + hex64, .tooLong(128)),
        ("a/b", .containsSlash),
        ("../etc", .containsSlash),
        ("/abs", .containsSlash),
        ("a..b", .containsDotDot),
        ("..", .containsDotDot),
        (".a", .mustStartWithLetterOrDigit),
        ("-a", .mustStartWithLetterOrDigit),
        ("_a", .mustStartWithLetterOrDigit),
        ("a.", .mustEndWithLetterOrDigit),
        ("a-", .mustEndWithLetterOrDigit),
        ("a__b", .consecutiveSeparators(offset: 1)),
        ("ab.-c", .consecutiveSeparators(offset: 2)),
        ("a b", .invalidCharacter(" ", offset: 1)),
        ("ä", .invalidCharacter("ä", offset: 0)),
        ("ab:c", .invalidCharacter(":", offset: 2)),
        ("a\u{0}", .invalidCharacter("\u{0}", offset: 1)),
        ("id%ID%", .invalidCharacter("%", offset: 2)),
    ])
    func rejectsWithTheRuleBroken(id: String, rule: ContainerIDError.Rule) {
        let error = #expect(throws: ContainerIDError.self) { try ContainerID(id) }
        #expect(error?.rule == rule)
        #expect(error?.id == id)
        #expect(error?.description.hasPrefix("container id ") == true)
    }

    @Test func describesTheRule() {
        #expect(
            ContainerIDError(id: "a/b", rule: .containsSlash).description
                == "container id \"a/b\" must not contain \"/\"")
        #expect(
            ContainerIDError(id: String(repeating: "a", count: 77), rule: .tooLong(77)).description.hasSuffix(
                "is 77 characters long, at most 76 are allowed"))
    }
}
