import InventoryQuery
import MTVAPI
import Testing

/// Grammar and operator edge cases beyond the TSL table.
@Suite("expression grammar and operators")
struct ExpressionTests {
    static let record: JSONValue = [
        "a": 1, "b": 2, "c": 3, "t": true, "f": false, "name": "web-1", "pct": "50%", "under": "a_b",
        "nums": [1, 2, 3], "nested": [[1, 2], [3]], "memory": 4_294_967_296,
        "Tags": [["Key": "Environment", "Value": "production"], ["Key": "tier", "Value": "web"]],
        "launched": "2024-05-01T12:30:00.250+02:00", "day": "2024-05-01",
    ]

    private func value(_ text: String, _ record: JSONValue = record) throws -> JSONValue {
        try QueryExpression.parse(text).evaluate(record)
    }

    private func error(_ text: String) throws -> QueryError {
        try #require(throws: QueryError.self) { try value(text) }
    }

    @Test("multiplication binds tighter than addition, and both are left-associative")
    func arithmeticPrecedence() throws {
        #expect(try value("1 + 2 * 3") == 7)
        #expect(try value("(1 + 2) * 3") == 9)
        #expect(try value("10 - 2 - 3") == 5)
        #expect(try value("24 / 4 / 2") == 3)
        #expect(try value("2 * 3 % 4") == 2)
        #expect(try value("-2 * 3") == -6)
        #expect(try value("- -a") == 1)
        #expect(try value("+a") == 1)
        #expect(try value("-7 % 3") == -1)
        #expect(try value("7.9 % 3.2") == 1)
    }

    @Test("AND binds tighter than OR; NOT applies to a whole comparison")
    func logicalPrecedence() throws {
        #expect(try value("t or f and f") == true)
        #expect(try value("(t or f) and f") == false)
        #expect(try value("not a = 2") == true)
        #expect(try value("not a = 1 or b = 2") == true)
        #expect(try value("not (a = 1 or b = 2)") == false)
        #expect(try value("not not t") == true)
        #expect(try value("a + 1 = b and b * 2 > c") == true)
    }

    @Test("nested parentheses group as written")
    func nestedParentheses() throws {
        #expect(try value("((a > 0) and ((b < 1) or (c = 3)))") == true)
        #expect(try value("(((((a)))))") == 1)
        #expect(try value("((a + b) * (c - (a + 1)))") == 3)
        let unclosed = try error("((a > 0)")
        #expect(unclosed.message == "expected ')' to close the '(' at offset 0, found the end of the query")
    }

    @Test("numbers take decimal and binary size suffixes in any case")
    func sizeSuffixes() throws {
        #expect(try value("1k") == 1000)
        #expect(try value("5m") == 5_000_000)
        #expect(try value("2G") == 2_000_000_000)
        #expect(try value("1T") == 1e12)
        #expect(try value("1p") == 1e15)
        #expect(try value("1Ki") == 1024)
        #expect(try value("1KI") == 1024)
        #expect(try value("3Mi") == 3_145_728)
        #expect(try value("4Gi") == 4_294_967_296)
        #expect(try value("1Ti") == 1_099_511_627_776)
        #expect(try value("1Pi") == 1_125_899_906_842_624)
        #expect(try value("1.5Ki") == 1536)
        #expect(try value("1e3") == 1000)
        #expect(try value("2.5E-1") == 0.25)
        #expect(try value("memory = 4Gi") == true)
        #expect(try value("memory between 2Gi and 8Gi") == true)
        let bad = try error("a > 5x")
        #expect(bad.position == 4)
        #expect(bad.message.hasPrefix("invalid number '5x': size suffixes are"))
    }

    @Test("RFC 3339 and plain dates compare as times, quoted or not")
    func dates() throws {
        #expect(try value("launched > '2024-05-01T10:00:00Z'") == true)
        #expect(try value("launched < '2024-05-01T10:31:00Z'") == true)
        #expect(try value("launched = '2024-05-01T10:30:00.25Z'") == true)
        #expect(try value("launched > 2024-05-01") == true)
        #expect(try value("launched between 2024-05-01 and 2024-05-02T00:00:00Z") == true)
        #expect(try value("day = '2024-05-01T00:00:00Z'") == true)
        #expect(try value("day < 2024-05-01T00:00:01z") == true)
        #expect(try value("day >= '2024-05-01'") == true)
        // Against a string that is not a date, a date string is just a string.
        #expect(try value("day < 'tomorrow'") == true)
        #expect(try value("day = 'someday'") == false)
        // An unquoted date must exist; quoted, it is only text.
        #expect(try error("2024-02-30 = '2024-02-30'").message.contains("not a valid date"))
        #expect(try value("'2024-02-30' = '2024-02-30'") == true)
    }

    @Test("strings take single, double or backtick quotes with backslash escapes")
    func strings() throws {
        #expect(try value("name = \"web-1\"") == true)
        #expect(try value("name = `web-1`") == true)
        #expect(try value(#"'it\'s' = "it's""#) == true)
        #expect(try value(#"name ~= '^web-\d$'"#) == true)
        #expect(try value(#"'a\\b'"#) == #"a\b"#)
        #expect(try value(#"'tab\there'"#) == "tab\there")
        let unterminated = try error("name = 'web")
        #expect(unterminated.message == "unterminated string: the ' here is never closed")
        #expect(unterminated.position == 7)
    }

    @Test("LIKE and ILIKE: anchored, % and _ wildcards, backslash makes them literal")
    func likePatterns() throws {
        #expect(try value("name like 'web-_'") == true)
        #expect(try value("name like 'web'") == false)
        #expect(try value("name like '%b-%'") == true)
        #expect(try value("name like 'w%1'") == true)
        #expect(try value("name like 'W%'") == false)
        #expect(try value("name ilike 'W%'") == true)
        #expect(try value("name not like 'db%'") == true)
        #expect(try value("name not ilike 'WEB%'") == false)
        #expect(try value(#"pct like '50\%'"#) == true)
        #expect(try value(#"name like 'web\%'"#) == false)
        #expect(try value(#"under like 'a\_b'"#) == true)
        #expect(try value(#"name like 'web\_1'"#) == false)
        #expect(try value("name like 'web.%'") == false)
        #expect(try value("'' like '%'") == true)
        #expect(try value("'aaab' like '%a%ab'") == true)
        #expect(try error("a like 'x'").message == "LIKE needs a string, got number 1")
        #expect(try error("name like other").message == "LIKE needs a pattern in quotes after it, found 'other'")
    }

    @Test("~= searches anywhere; ~! is its negation; flags can be set inline")
    func regexMatching() throws {
        #expect(try value("name ~= 'b-'") == true)
        #expect(try value("name ~= '^b-'") == false)
        #expect(try value("name ~! '^db'") == true)
        #expect(try value("name ~= '(?i)^WEB'") == true)
        #expect(try error("name ~= other").message == "~= needs a regular expression in quotes after it, found 'other'")
    }

    @Test("IN and NOT IN take square-bracket lists with an optional trailing comma")
    func inLists() throws {
        #expect(try value("a in [1, 2,]") == true)
        #expect(try value("a not in [1, 2]") == false)
        #expect(try value("name not in ['db-1']") == true)
        #expect(try value("missing not in ['x']") == true)
        #expect(try value("a in []") == false)
        #expect(try value("2 in nums") == true)
        #expect(try value("nums in [1, 3]") == [true, false, true])
        #expect(try value("a in missing") == false)
        #expect(try value("a in[1]") == true)
        for text in ["name in ('a', 'b')", "name in ()", "name in 'a'", "name not in ('a')"] {
            let error = try error(text)
            #expect(error.message.hasPrefix("IN needs a [list] in square brackets"), "\(text)")
        }
        #expect(try error("a in name").message == "IN needs a [list] in square brackets, got string 'web-1'")
    }

    @Test("BETWEEN and NOT BETWEEN are inclusive; a missing value is never between")
    func between() throws {
        #expect(try value("b between 1 and 2") == true)
        #expect(try value("b between 2 and 3") == true)
        #expect(try value("b not between 1 and 2") == false)
        #expect(try value("b between 3 and 4") == false)
        #expect(try value("missing between 1 and 2") == false)
        #expect(try value("missing not between 1 and 2") == true)
        #expect(try value("name between 'a' and 'x'") == true)
        #expect(try value("nums between 2 and 3") == [false, true, true])
        #expect(try error("b between 1 or 3").message == "BETWEEN needs AND between its two bounds, found 'or'")
    }

    @Test("IS NULL is true for missing fields and JSON null, IS NOT NULL for anything present")
    func isNull() throws {
        let record: JSONValue = ["n": .null, "zero": 0, "empty": "", "list": []]
        #expect(try value("n is null", record) == true)
        #expect(try value("missing.deep[0] is null", record) == true)
        #expect(try value("zero is null or empty is null or list is null", record) == false)
        #expect(try value("zero is not null and empty is not null and list is not null", record) == true)
        #expect(try error("a is nul").message == "expected NULL or NOT NULL after IS, found 'nul'")
    }

    @Test("null is only allowed after IS, with a hint when compared with =")
    func nullLiteral() throws {
        #expect(try error("a = null").message == "null cannot be compared with =; use IS NULL or IS NOT NULL")
        #expect(try error("a != null").position == 5)
        #expect(try error("null").message == "null can only be tested with IS NULL or IS NOT NULL")
    }

    @Test("list operands map element-wise; two lists of the same length zip")
    func listMapping() throws {
        #expect(try value("nums * 2") == [2, 4, 6])
        #expect(try value("10 - nums") == [9, 8, 7])
        #expect(try value("nested > 1") == [[false, true], [true]])
        #expect(try value("nums + nums") == [2, 4, 6])
        #expect(try value("not (nums > 1)") == [true, false, false])
        // A correlated tag test: key and value of the same tag.
        #expect(try value("any(Tags[*].Key = 'Environment' and Tags[*].Value = 'production')") == true)
        #expect(try value("any(Tags[*].Key = 'Environment' and Tags[*].Value = 'web')") == false)
        #expect(try value("any(Tags.Key = 'tier')") == true)
        let mismatch = try error("nums + [1, 2]")
        #expect(mismatch.message == "cannot combine lists of different lengths (3 and 2) element by element")
    }

    @Test("reducers: len counts lists, strings and objects; all of nothing is false; missing stays missing")
    func reducers() throws {
        #expect(try value("len(name)") == 5)
        #expect(try value("len(Tags[0])") == 2)
        #expect(try value("len(missing)") == .null)
        #expect(try value("len(missing) > 0") == false)
        #expect(try value("sum(missing)") == .null)
        #expect(try value("any(missing)") == false)
        #expect(try value("all(missing)") == false)
        #expect(try value("all([])") == false)
        #expect(try value("any([])") == false)
        #expect(try value("all(t)") == true)
        #expect(try value("sum([])") == 0)
        #expect(try value("sum(a)") == 1)
        #expect(try error("len(a)").message == "len() needs a list or a string, got number 1")
        #expect(try error("sum(Tags[*].Key)").message == "sum() needs numbers, got string 'Environment'")
        #expect(try error("any(nums)").message == "any() needs true/false values, got number 1")
    }

    @Test("an unknown function is an error at its name, with a suggestion when close")
    func unknownFunction() throws {
        let unknown = try error("a = 1 and count(nums) > 1")
        #expect(unknown.kind == .unknownFunction)
        #expect(unknown.position == 10)
        #expect(unknown.message == "unknown function 'count' (the functions are len, any, all and sum)")
        #expect(
            try error("lenn(nums)").message
                == "unknown function 'lenn'; did you mean len? (the functions are len, any, all and sum)")
        let inQuery = try #require(throws: QueryError.self) { try Query.parse("where foo(name) = 1") }
        #expect(inQuery.position == 6)
        #expect(inQuery.kind == .unknownFunction)
    }

    @Test("logical operators treat a missing value as false and reject other types")
    func logicalOperands() throws {
        #expect(try value("missing or t") == true)
        #expect(try value("not missing") == true)
        #expect(try value("missing and t") == false)
        #expect(try error("name or t").message == "OR needs true/false values, got string 'web-1'")
        #expect(try error("not a").message == "NOT needs true/false values, got number 1")
        // AND stops at a false left side, so a guard protects what follows.
        #expect(try value("missing is not null and missing / 0 > 1") == false)
    }

    @Test("arithmetic on a missing value gives a missing value; a zero divisor is always an error")
    func arithmeticWithMissing() throws {
        #expect(try value("missing + 1") == .null)
        #expect(try value("missing * 2 > 1") == false)
        #expect(try value("-missing") == .null)
        #expect(try error("missing / 0").kind == .divisionByZero)
        #expect(try error("-name").message == "'-' needs a number, got string 'web-1'")
    }

    @Test("syntax errors name what was expected and what was found")
    func syntaxErrors() throws {
        #expect(try error("a >").message == "expected a value after '>', found the end of the query")
        #expect(try error("a > > 1").message == "expected a value after '>', found '>'")
        #expect(try error("a = 1 and").position == 9)
        #expect(try error("(a = 1").position == 6)
        #expect(
            try error("[1, 2").message
                == "expected ',' or ']' in the list opened at offset 0, found the end of the query")
        #expect(try error("a ! b").message == "unexpected character '!'")
        #expect(try error("a = and").message == "expected a value after '=', found 'and'")
        #expect(try error("()").message == "expected a value inside '( )'")
        #expect(try error("").message == "the expression is empty")
        #expect(try error("a = 1 b").message == "expected AND, OR or the end of the expression, found 'b'")
    }

    @Test("a WHERE result that is a list asks for any() or all(); a non-boolean is rejected")
    func conditionResults() throws {
        let list = try #require(throws: QueryError.self) {
            try Query.parse("where Tags[*].Key = 'tier'").matches(Self.record)
        }
        #expect(list.message.contains("wrap it in any(…) or all(…)"))
        #expect(list.position == 6)
        let text = try #require(throws: QueryError.self) { try Query.parse("where name").matches(Self.record) }
        #expect(text.message == "the condition must be true or false, got string 'web-1'")
        #expect(try Query.parse("where missing").matches(Self.record) == false)
    }

    @Test("evaluation errors render against the whole query text")
    func evaluationErrorRendering() throws {
        let query = try Query.parse("select name where a / zero > 1")
        let error = try #require(throws: QueryError.self) { try query.matches(["a": 1, "zero": 0]) }
        #expect(
            error.description == """
                division by zero
                  select name where a / zero > 1
                                      ^
                """)
    }

    @Test("one parsed query filters many records without parsing again")
    func reuse() throws {
        let query = try Query.parse("where cpuCount >= 2 and label.tier in ['web', 'db'] order by memoryMB desc, name")
        let many = (0..<2000).flatMap { _ in Fleet.records }
        let result = try query.apply(to: many)
        #expect(result.count == 6000)
        #expect(result.prefix(3).map { $0["name"] } == ["db-1", "db-1", "db-1"])
    }
}
