import Testing

@testable import InventoryQuery

/// The `~=` engine: RE2 syntax as Go's regexp reads it, unanchored search, linear time.
@Suite("Regular expressions (RE2 syntax, linear time)")
struct RegexTests {
    func matches(_ pattern: String, _ text: String) throws -> Bool {
        try LinearRegex(pattern).matches(text)
    }

    @Test(
        "matches as Go's regexp.MatchString does",
        arguments: [
            ("web", "my-web-1", true), ("^web", "my-web-1", false), ("^my", "my-web-1", true), ("1$", "my-web-1", true),
            ("", "anything", true), ("", "", true), ("a|b", "xbx", true), ("a|b", "xyz", false),
            ("^(a+)+$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", false),
            ("^(a+)+$", "aaaaaaaaaaaaaaaaaaaaaaaa", true),
            ("colou?r", "color", true), ("colou?r", "colour", true), ("colou?r", "colouur", false),
            ("^a{2,3}$", "aa", true), ("^a{2,3}$", "aaaa", false), ("^a{2,}$", "aaaaa", true), ("^a{2}$", "aaa", false),
            ("a{,2}", "a{,2}", true), ("x{", "x{", true),
            ("[a-c]+z", "--bcaz", true), ("[^a-c]z", "az", false), ("[]a]", "]", true), ("[a-]", "-", true),
            ("\\d+\\.\\d+", "v1.25", true), ("^\\w+$", "web_1", true), ("^\\w+$", "web-1", false), ("\\s", "a b", true),
            ("\\D", "123", false), ("[[:alpha:]]+[[:digit:]]", "abc1", true), ("[[:^digit:]]", "42", false),
            ("[[:word]]", "w]", true), ("[[:word]]", "w", false),
            ("(?i)WEB", "my-web", true), ("WEB", "my-web", false), ("(?i:W)eb", "web", true),
            ("(?i:W)EB", "web", false),
            ("a.c", "a\nc", false), ("(?s)a.c", "a\nc", true), ("^b", "a\nb", false), ("(?m)^b", "a\nb", true),
            ("a$", "a\n", false), ("(?m)a$", "a\nb", true), ("\\Aa", "ba", false), ("a\\z", "ba", true),
            ("\\bweb\\b", "my web 1", true), ("\\bweb\\b", "myweb1", false), ("\\Bweb", "myweb", true),
            ("(?P<tier>web|db)-\\d", "db-2", true), ("(?<tier>web)", "web", true), ("(?:ab)+$", "ababab", true),
            ("\\x41\\x{42}", "AB", true), ("\\101", "A", true), ("\\Q.*\\E", "a.*b", true), ("\\Q.*\\E", "ab", false),
            ("\\pL+", "héllo", true), ("^\\p{Lu}", "Ábc", true), ("^\\p{Lu}", "ábc", false), ("\\PL", "abc", false),
            ("^[\\p{N}]+$", "٣٤", true), ("(?i)straße", "STRASSE", false), ("(?i)é", "É", true),
            ("(a|)+b", "b", true), ("(a*)*c", "aaac", true), ("(a*)+$", "", true), ("x*?y", "xxy", true),
            ("é", "café", true), ("^.{4}$", "café", true), ("日本", "日本語", true),
        ])
    func semantics(pattern: String, text: String, expected: Bool) throws {
        #expect(try matches(pattern, text) == expected, "\(pattern) against \(text)")
    }

    @Test(
        "what RE2 does not accept is refused with a reason",
        arguments: [
            ("(a)\\1", "backreferences"), ("(?P=name)", "backreferences"), ("a(?=b)", "lookahead"),
            ("a(?!b)", "lookahead"), ("(?<=a)b", "lookahead"), ("(?<!a)b", "lookahead"), ("\\8", "backreferences"),
            ("[a", "missing closing ']'"), ("(a", "missing closing ')'"), ("a)", "unexpected ')'"),
            ("*a", "missing argument"), ("a**", "nested repetition"), ("a{1001}", "counts above 1000"),
            ("a{3,2}", "reversed"), ("[z-a]", "reversed"), ("\\k", "invalid escape"), ("a\\", "trailing backslash"),
            ("\\p{Greek}", "script names"), ("[[:words:]]", "unknown POSIX class"),
            ("(?x)a", "flags are i, m, s and U"),
            ("((a{100}){100})", "too large"), ("(?P<>a)", "invalid named capture"),
        ])
    func refused(pattern: String, reason: String) {
        do {
            _ = try LinearRegex(pattern)
            Issue.record("\(pattern) was accepted")
        } catch {
            #expect(error.message.contains(reason), "\(pattern): \(error.message)")
        }
    }

    @Test("patterns that make backtracking engines take minutes answer at once and correctly")
    func pathologicalPatterns() throws {
        let text = String(repeating: "a", count: 1024)
        #expect(try !matches("(.*a){20}b", String(repeating: "a", count: 60)))
        #expect(try matches("(.*a){20}", String(repeating: "a", count: 60)))
        #expect(try !matches("^(a+)+$", text + "!"))
        #expect(try !matches("^(a|a)*$", text + "b"))
        #expect(try !matches("(a*)*b", text))
        #expect(try matches("(x+x+)+y|a$", text))
    }

    @Test("groups nest at most 64 deep; deeper patterns are refused, never a crash")
    func nestingLimit() throws {
        let ok = String(repeating: "(", count: 64) + "a" + String(repeating: ")", count: 64)
        #expect(try matches(ok, "a"))
        for depth in [65, 1_000, 100_000] {
            let deep = String(repeating: "(", count: depth) + "a" + String(repeating: ")", count: depth)
            #expect(throws: RegexSyntaxError.self) { try LinearRegex(deep) }
        }
    }
}
